import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWuwatchError, WuLogParser } from '@wuwatch/core';
import {
  emptyParserState,
  readTailCursor,
  TAIL_CURSOR_KEY,
  tailCursorFrom,
  type TailCursor,
} from '../src/runtime/tail-cursor.js';
import { Spool } from '../src/spool/index.js';

const position = (offset: number) => ({
  path: '/x/WindowsUpdate.log',
  fileId: '1:2',
  offset,
  headHash: 'ab'.repeat(32),
  headLength: 2,
});

async function withStateDir(fn: (stateDir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-cursor-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the parser state goes into the spool with the cursor and comes back, open cycle included', async (t) => {
  await withStateDir(async (stateDir) => {
    const parser = new WuLogParser({ onFinding: () => undefined });
    parser.push(
      Buffer.from(
        '2026-11-20\t08:00:00:001\t 900\t1a2c\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\n',
      ),
    );
    const cursor: TailCursor = { v: 1, position: position(120), parser: parser.snapshot() };
    const spool = await Spool.open({ dir: join(stateDir, 'spool') });
    await spool.append([], { key: TAIL_CURSOR_KEY, value: cursor });
    // Read by another process while the agent runs: the same cursor, without opening the spool.
    t.deepEqual(await readTailCursor(stateDir), cursor);
    await spool.close();
    const reopened = await Spool.open({ dir: join(stateDir, 'spool') });
    const { cursor: back, problem } = tailCursorFrom(reopened.cursor(TAIL_CURSOR_KEY));
    t.is(problem, null);
    t.deepEqual(back, cursor);
    t.is(back?.parser?.lineNo, 1);
    t.is(back?.parser?.detection.open[0]?.finding.caller, 'AutomaticUpdates');
    await reopened.close();
  });
});

test('no cursor yet: none, and no problem; a state dir without a spool has none either', async (t) => {
  t.deepEqual(tailCursorFrom(null), { cursor: null, problem: null });
  await withStateDir(async (stateDir) => {
    t.is(await readTailCursor(stateDir), null);
  });
});

test('an unusable cursor is refused with a typed error saying which field, and the tail starts over', (t) => {
  for (const bad of [
    { v: 2, position: position(1), parser: null },
    { v: 1, position: { ...position(1), offset: -1 }, parser: null },
    { v: 1, position: position(1), parser: { version: 9 } },
    { v: 1, parser: null },
  ]) {
    const { cursor, problem } = tailCursorFrom(bad);
    t.is(cursor, null);
    t.true(isWuwatchError(problem, 'TAIL_CHECKPOINT_INVALID'), JSON.stringify(bad));
  }
  const { problem } = tailCursorFrom({ v: 1, position: { ...position(1), offset: -1 }, parser: null });
  t.regex(problem?.message ?? '', /position\.offset/);
});

test('emptyParserState: nothing open, the line count kept', (t) => {
  const s = emptyParserState(42);
  t.is(s.lineNo, 42);
  t.deepEqual(s.detection, { open: [], recent: [] });
  const parser = new WuLogParser({ onFinding: () => undefined });
  t.notThrows(() => parser.restore(s));
  t.is(parser.snapshot().lineNo, 42);
});
