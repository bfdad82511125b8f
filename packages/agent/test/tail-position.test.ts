import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWuwatchError } from '@wuwatch/core';
import { LogTailer, parsePosition } from '../src/tail/index.js';
import type { TailPosition } from '../src/tail/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-pos-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sample: TailPosition = {
  path: 'C:\\Windows\\WindowsUpdate.log',
  fileId: '2768307523:1125899906842624',
  offset: 123456,
  headHash: 'a'.repeat(64),
  headLength: 256,
};

test('parsePosition validates every field; a bad one is a typed error naming the source and the field', (t) => {
  t.deepEqual(parsePosition(JSON.parse(JSON.stringify(sample))), sample);
  for (const bad of [
    { ...sample, headHash: 'xyz' },
    { ...sample, headLength: 257 },
    { ...sample, offset: 1.5 },
    { ...sample, offset: -1 },
    { ...sample, path: '' },
    { path: sample.path },
    [],
    null,
  ]) {
    const err = t.throws(() => parsePosition(bad, 'cursor.json'), undefined, JSON.stringify(bad));
    t.true(isWuwatchError(err, 'TAIL_CHECKPOINT_INVALID'));
    t.regex(err?.message ?? '', /cursor\.json/);
  }
  const err = t.throws(() => parsePosition({ ...sample, offset: -1 }));
  t.regex(err?.message ?? '', /offset/);
});

test('a start position for another path is ignored: the log is read from its start', async (t) => {
  const dir = await tempDir(t);
  const log = join(dir, 'WindowsUpdate.log');
  await writeFile(log, 'one\n');
  const got: string[] = [];
  const moves: number[] = [];
  const tl = new LogTailer({
    path: log,
    start: { ...sample, path: join(dir, 'other.log'), offset: 2 },
    pollMs: 60_000,
    sink: {
      chunk: (buf) => {
        got.push(buf.toString());
        return Promise.resolve();
      },
      moved: (position) => {
        moves.push(position.offset);
        return Promise.resolve();
      },
    },
  });
  t.is(tl.position, null);
  await tl.start();
  await tl.pollNow();
  await tl.stop();
  t.deepEqual(got, ['one\n']);
  t.deepEqual(moves, [0]);
  t.is(tl.position?.path, log);
});
