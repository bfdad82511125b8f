import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWuwatchError } from '@wuwatch/core';
import { fileCheckpointStore, LogTailer, memoryCheckpointStore, parseCheckpoint } from '../src/tail/index.js';
import type { Checkpoint, TailReport } from '../src/tail/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-cp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const sample: Checkpoint = {
  path: 'C:\\Windows\\WindowsUpdate.log',
  fileId: '2768307523:1125899906842624',
  offset: 123456,
  headHash: 'a'.repeat(64),
  headLength: 256,
};

test('file store: no file yet loads as null', async (t) => {
  const dir = await tempDir(t);
  t.is(await fileCheckpointStore(join(dir, 'cp.json')).load(), null);
});

test('file store: save then load round-trips and leaves no temp files behind', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'cp.json');
  const store = fileCheckpointStore(file);
  for (let i = 0; i < 20; i++) await store.save({ ...sample, offset: i });
  t.deepEqual(await store.load(), { ...sample, offset: 19 });
  t.deepEqual(await fileCheckpointStore(file).load(), { ...sample, offset: 19 });
  t.deepEqual(await readdir(dir), ['cp.json']);
  t.deepEqual(JSON.parse(await readFile(file, 'utf8')), { ...sample, offset: 19 });
});

test('file store: a damaged or foreign checkpoint is a typed error naming the file', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'cp.json');
  await writeFile(file, '{"path":"x","fileId":"1:2","off');
  const err = await t.throwsAsync(fileCheckpointStore(file).load());
  t.true(isWuwatchError(err, 'TAIL_CHECKPOINT_INVALID'));
  t.regex(err?.message ?? '', /cp\.json/);
  await writeFile(file, JSON.stringify({ ...sample, offset: -1 }));
  const err2 = await t.throwsAsync(fileCheckpointStore(file).load());
  t.true(isWuwatchError(err2, 'TAIL_CHECKPOINT_INVALID'));
  t.regex(err2?.message ?? '', /offset/);
});

test('file store: an unwritable location is a typed FILE_UNWRITABLE error', async (t) => {
  const dir = await tempDir(t);
  // A regular file where the directory should be: not even a missing directory can be created there.
  await writeFile(join(dir, 'not-a-dir'), '');
  const store = fileCheckpointStore(join(dir, 'not-a-dir', 'cp.json'));
  const err = await t.throwsAsync(store.save(sample));
  t.true(isWuwatchError(err, 'FILE_UNWRITABLE'));
});

test('parseCheckpoint validates every field', (t) => {
  t.deepEqual(parseCheckpoint(JSON.stringify(sample)), sample);
  for (const bad of [
    { ...sample, headHash: 'xyz' },
    { ...sample, headLength: 257 },
    { ...sample, offset: 1.5 },
    { ...sample, path: '' },
    { path: sample.path },
    [],
  ]) {
    t.throws(() => parseCheckpoint(JSON.stringify(bad)), undefined, JSON.stringify(bad));
  }
});

test('memory store keeps copies, not references', async (t) => {
  const store = memoryCheckpointStore();
  const cp = { ...sample };
  await store.save(cp);
  cp.offset = 0;
  t.is((await store.load())?.offset, sample.offset);
  t.is(store.saves, 1);
});

test('the tailer reports a damaged checkpoint and reads the log from its start', async (t) => {
  const dir = await tempDir(t);
  const log = join(dir, 'WindowsUpdate.log');
  const cpFile = join(dir, 'cp.json');
  await writeFile(log, 'one\ntwo\n');
  await writeFile(cpFile, 'garbage');
  const reports: TailReport[] = [];
  const got: string[] = [];
  const tl = new LogTailer({
    path: log,
    store: fileCheckpointStore(cpFile),
    pollMs: 60_000,
    onReport: (r) => reports.push(r),
    onChunk: (buf) => {
      got.push(buf.toString());
      return Promise.resolve();
    },
  });
  await tl.start();
  await tl.pollNow();
  await tl.stop();
  t.deepEqual(got, ['one\ntwo\n']);
  t.is(reports.length, 1);
  const r = reports[0];
  t.true(r?.kind === 'error' && r.error.code === 'WUW_TAIL_CHECKPOINT_INVALID');
  t.is(parseCheckpoint(await readFile(cpFile, 'utf8')).offset, 8);
});

test('a checkpoint written for another path is ignored', async (t) => {
  const dir = await tempDir(t);
  const log = join(dir, 'WindowsUpdate.log');
  await writeFile(log, 'one\n');
  const store = memoryCheckpointStore({ ...sample, path: join(dir, 'other.log'), offset: 2 });
  const got: string[] = [];
  const tl = new LogTailer({
    path: log,
    store,
    pollMs: 60_000,
    onChunk: (buf) => {
      got.push(buf.toString());
      return Promise.resolve();
    },
  });
  await tl.start();
  await tl.pollNow();
  await tl.stop();
  t.deepEqual(got, ['one\n']);
  t.is(store.current?.path, log);
});
