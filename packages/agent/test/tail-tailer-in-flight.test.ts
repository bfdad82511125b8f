// LogTailer with more than one chunk in flight (`maxInFlight`): the sink works on chunk N+1 while chunk N is being
// made durable, and the checkpoint still only ever moves in order, past chunks whose sink resolved.
import test from 'ava';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogTailer, memoryCheckpointStore } from '../src/tail/index.js';
import type { Checkpoint, CheckpointStore, ChunkMeta, TailerOptions } from '../src/tail/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-tail-inflight-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Ten lines of ten bytes: with chunkBytes 20, five chunks of two lines. */
const TEN_LINES = Array.from({ length: 10 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`).join('');

interface Held {
  meta: ChunkMeta;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A sink that holds every chunk until the test resolves or rejects it. */
function holdingSink() {
  const held: Held[] = [];
  return {
    held,
    onChunk: (_buf: Buffer, meta: ChunkMeta) =>
      new Promise<void>((resolve, reject) => {
        held.push({ meta, resolve, reject });
      }),
  };
}

/** A store that logs each saved offset. */
function loggingStore(): CheckpointStore & { saved: number[]; current: Checkpoint | null } {
  const inner = memoryCheckpointStore();
  const saved: number[] = [];
  return {
    saved,
    get current() {
      return inner.current;
    },
    load: () => inner.load(),
    save: async (cp) => {
      saved.push(cp.offset);
      await inner.save(cp);
    },
  };
}

/** Waits until `cond` holds (file reads take their time on a loaded machine). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * TEN_LINES in a fresh log, tailed in chunks of 20 bytes, two in flight, by a tailer whose sink holds every chunk and
 * whose store logs its saves; started. Polls beyond the first are driven by the test.
 */
async function heldTailer(t: { teardown(fn: () => Promise<void>): void }, extra: Partial<TailerOptions> = {}) {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, TEN_LINES);
  const sink = holdingSink();
  const store = loggingStore();
  const tl = new LogTailer({
    path,
    store,
    onChunk: sink.onChunk,
    chunkBytes: 20,
    maxInFlight: 2,
    pollMs: 60_000,
    ...extra,
  });
  await tl.start();
  return { sink, store, tl };
}

/** Gives the tailer time to do what it should not (for checks that something did not happen). */
const quiet = () => new Promise((r) => setTimeout(r, 40));

test('with maxInFlight 2 the next chunk reaches the sink before the first resolved, never a third', async (t) => {
  const { sink, store, tl } = await heldTailer(t);
  await until(() => sink.held.length === 2, 'two chunks');
  await quiet();
  t.deepEqual(
    sink.held.map((h) => h.meta.offsetAfter),
    [20, 40],
    'two chunks handed over, the third waits for the first',
  );
  t.deepEqual(store.saved, [0], 'the new position is saved before reading');
  // The second resolves first: its checkpoint must still wait for the first chunk.
  sink.held[1]!.resolve();
  await quiet();
  t.deepEqual(store.saved, [0], 'no checkpoint past a chunk whose sink has not resolved');
  t.is(sink.held.length, 2);
  sink.held[0]!.resolve();
  await until(() => store.saved.length > 1 && sink.held.length === 4, 'the first save and two more chunks');
  t.deepEqual(store.saved, [0, 40], 'then one save covers both');
  for (let i = 2; i < 5; i++) {
    await until(() => sink.held.length > i, `chunk ${i + 1}`);
    sink.held[i]!.resolve();
    await until(() => store.saved.at(-1) === (i + 1) * 20, `the save of chunk ${i + 1}`);
  }
  await tl.stop();
  t.deepEqual(store.saved, [0, 40, 60, 80, 100], 'one save per chunk when each resolves in turn');
  t.is(store.current?.offset, 100);
});

test('with spaced saves, a chunk that asked for a save gets one even when an earlier chunk moved the checkpoint past it', async (t) => {
  const { sink, store, tl } = await heldTailer(t, { checkpointEveryBytes: 40 });
  await until(() => sink.held.length === 2, 'two chunks');
  // Chunk 2 asks for a save (40 bytes); it resolves first, so chunk 1's acceptance moves the checkpoint to 40.
  sink.held[1]!.resolve();
  await quiet();
  sink.held[0]!.resolve();
  await until(() => store.saved.length > 1, 'the save chunk 2 asked for');
  t.deepEqual(store.saved, [0, 40], 'saved at 40 while the poll is still reading on');
  for (let i = 2; i < 5; i++) {
    await until(() => sink.held.length > i, `chunk ${i + 1}`);
    sink.held[i]!.resolve();
  }
  await until(() => store.saved.at(-1) === 100, 'the save at the end of the poll');
  await tl.stop();
  t.deepEqual(store.saved, [0, 40, 80, 100]);
});

test('a chunk whose sink fails stops the checkpoint before it; the next poll reads on from there', async (t) => {
  const reports: string[] = [];
  const { sink, store, tl } = await heldTailer(t, { onReport: (r) => void reports.push(r.kind) });
  await until(() => sink.held.length === 2, 'two chunks');
  sink.held[0]!.resolve();
  await until(() => sink.held.length === 3, 'the third chunk');
  // Chunk 2 (to 40) fails while chunk 3 (to 60), already handed over, succeeds.
  t.deepEqual(
    sink.held.map((h) => h.meta.offsetAfter),
    [20, 40, 60],
  );
  sink.held[2]!.resolve();
  sink.held[1]!.reject(new Error('disk full'));
  await until(() => reports.length > 0, 'the error report');
  await quiet();
  t.deepEqual(store.saved, [0, 20], 'nothing past the failed chunk is checkpointed');
  t.deepEqual(reports, ['error']);
  const before = sink.held.length;
  let settled = false;
  const again = tl.pollNow().finally(() => (settled = true));
  await until(() => sink.held.length > before, 'the chunk read again');
  t.is(sink.held[before]?.meta.offsetAfter, 40, 'the failed chunk is read again');
  while (!settled) {
    for (const h of sink.held.slice(before)) h.resolve();
    await new Promise((r) => setTimeout(r, 2));
  }
  await again;
  await tl.stop();
  t.is(store.current?.offset, 100);
});

test('a poll reads up to the size it saw; what was appended after that waits for the next poll', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, TEN_LINES);
  let appended = false;
  const got: number[] = [];
  const store = memoryCheckpointStore();
  const tl = new LogTailer({
    path,
    store,
    chunkBytes: 20,
    maxInFlight: 2,
    pollMs: 60_000,
    onChunk: async (_buf, meta) => {
      got.push(meta.offsetAfter);
      if (!appended) {
        appended = true;
        await appendFile(path, 'late line\n');
      }
    },
  });
  await tl.start(); // queues the first poll
  await until(() => store.current?.offset === 100, 'the first poll');
  await quiet();
  t.deepEqual(got, [20, 40, 60, 80, 100], 'the first poll stops at the size it saw');
  await tl.pollNow();
  await tl.stop();
  t.is(got[got.length - 1], 110, 'the next poll delivers the appended line');
  t.is(store.current?.offset, 110);
});

test('maxInFlight must be a positive integer', (t) => {
  const store = memoryCheckpointStore();
  const onChunk = () => Promise.resolve();
  for (const maxInFlight of [0, 1.5, -1]) {
    const err = t.throws(() => new LogTailer({ path: '/nonexistent', store, onChunk, maxInFlight }));
    t.is((err as { code?: string }).code, 'WUW_CONFIG_INVALID');
  }
});
