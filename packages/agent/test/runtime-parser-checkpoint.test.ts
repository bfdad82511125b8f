import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WuLogParser } from '@wuwatch/core';
import { emptyParserState, ParserCheckpointStore } from '../src/runtime/parser-checkpoint.js';

const cp = (offset: number) => ({
  path: '/x/WindowsUpdate.log',
  fileId: '1:2',
  offset,
  headHash: 'ab'.repeat(32),
  headLength: 2,
});

async function withDir(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-pcp-'));
  try {
    await fn(join(dir, 'tail-checkpoint.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the parser state is saved with the checkpoint and loads back, open cycle included', async (t) => {
  await withDir(async (file) => {
    const parser = new WuLogParser({ onFinding: () => undefined });
    parser.push(
      Buffer.from(
        '2026-11-20\t08:00:00:001\t 900\t1a2c\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\n',
      ),
    );
    await new ParserCheckpointStore(file, () => ({ parser: parser.snapshot(), logSeq: 0 })).save(cp(120));
    const store = new ParserCheckpointStore(file, () => ({ parser: emptyParserState(0), logSeq: 0 }));
    t.deepEqual(await store.load(), cp(120));
    t.is(store.loadProblem, null);
    t.is(store.loadedState?.lineNo, 1);
    t.is(store.loadedState?.detection.open[0]?.finding.caller, 'AutomaticUpdates');
  });
});

test('at offset 0 no parser state is saved: a new file starts with a new parser', async (t) => {
  await withDir(async (file) => {
    await new ParserCheckpointStore(file, () => ({ parser: emptyParserState(99), logSeq: 0 })).save(cp(0));
    t.is(JSON.parse(await readFile(file, 'utf8')).parser, null);
    const store = new ParserCheckpointStore(file, () => ({ parser: emptyParserState(0), logSeq: 0 }));
    t.deepEqual(await store.load(), cp(0));
    t.is(store.loadedState, null);
  });
});

test('an older file with only a line count resumes with that count and nothing open', async (t) => {
  await withDir(async (file) => {
    await writeFile(file, JSON.stringify({ checkpoint: cp(500), lines: 42 }));
    const store = new ParserCheckpointStore(file, () => ({ parser: emptyParserState(0), logSeq: 0 }));
    t.deepEqual(await store.load(), cp(500));
    t.deepEqual(store.loadedState, emptyParserState(42));
  });
});

test('an unusable parser state keeps the offset and says why; a damaged file starts over', async (t) => {
  await withDir(async (file) => {
    await writeFile(file, JSON.stringify({ checkpoint: cp(500), parser: { version: 9 } }));
    const store = new ParserCheckpointStore(file, () => ({ parser: emptyParserState(0), logSeq: 0 }));
    t.deepEqual(await store.load(), cp(500));
    t.is(store.loadedState, null);
    t.truthy(store.loadProblem);
    await writeFile(file, '{"checkpoint": {');
    t.is(await store.load(), null);
    t.is(store.loadProblem, null);
  });
});

test('with chunks in flight each checkpoint is saved with the progress recorded for its own offset', async (t) => {
  await withDir(async (file) => {
    const saved = async () => JSON.parse(await readFile(file, 'utf8')).parser.lineNo as number;
    // The parser has already gone on to line 30 when the checkpoints of lines 10 and 20 are written.
    const store = new ParserCheckpointStore(file, () => ({ parser: emptyParserState(30), logSeq: 0 }));
    store.progressAt('1:2', 100, { parser: emptyParserState(10), logSeq: 100 });
    store.progressAt('1:2', 200, { parser: emptyParserState(20), logSeq: 200 });
    await store.save(cp(100));
    t.is(await saved(), 10);
    await store.save(cp(200));
    t.is(await saved(), 20);
    const reloaded = new ParserCheckpointStore(file, () => ({ parser: emptyParserState(0), logSeq: 0 }));
    await reloaded.load();
    t.is(reloaded.loadedLogSeq, 200, 'the seq of the last log event spooled is saved beside the state');
    // Nothing recorded for an offset (nothing in flight): the parser's state as it stands.
    await store.save(cp(300));
    t.is(await saved(), 30);
    // States of another file never stand in for this one's, and clearPending forgets what was not saved.
    store.progressAt('9:9', 400, { parser: emptyParserState(77), logSeq: 400 });
    await store.save(cp(400));
    t.is(await saved(), 30);
    store.progressAt('1:2', 500, { parser: emptyParserState(50), logSeq: 500 });
    store.clearPending();
    await store.save(cp(500));
    t.is(await saved(), 30);
  });
});
