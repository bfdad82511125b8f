// LogTailer with more than one chunk in flight (`maxInFlight`): the sink works on chunk N+1 while chunk N is being
// made durable, and the position still only ever moves in order, past chunks whose sink resolved.
import test from 'ava';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogTailer } from '../src/tail/index.js';
import type { TailerOptions, TailPosition, TailSink } from '../src/tail/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-tail-inflight-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Ten lines of ten bytes: with chunkBytes 20, five chunks of two lines. */
const TEN_LINES = Array.from({ length: 10 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`).join('');

interface Held {
  position: TailPosition;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A sink that holds every chunk until the test resolves or rejects it (a new position is taken at once). */
function holdingSink() {
  const held: Held[] = [];
  const sink: TailSink = {
    chunk: (_buf, position) =>
      new Promise<void>((resolve, reject) => {
        held.push({ position, resolve, reject });
      }),
    moved: () => Promise.resolve(),
  };
  return { held, sink };
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
 * TEN_LINES in a fresh log, tailed in chunks of 20 bytes, two in flight, by a tailer whose sink holds every chunk;
 * started. Polls beyond the first are driven by the test.
 */
async function heldTailer(t: { teardown(fn: () => Promise<void>): void }, extra: Partial<TailerOptions> = {}) {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, TEN_LINES);
  const sink = holdingSink();
  const tl = new LogTailer({
    path,
    sink: sink.sink,
    chunkBytes: 20,
    maxInFlight: 2,
    pollMs: 60_000,
    ...extra,
  });
  await tl.start();
  return { sink, tl };
}

/** Gives the tailer time to do what it should not (for checks that something did not happen). */
const quiet = () => new Promise((r) => setTimeout(r, 40));

test('with maxInFlight 2 the next chunk reaches the sink before the first resolved, never a third', async (t) => {
  const { sink, tl } = await heldTailer(t);
  await until(() => sink.held.length === 2, 'two chunks');
  await quiet();
  t.deepEqual(
    sink.held.map((h) => h.position.offset),
    [20, 40],
    'two chunks handed over, the third waits for the first',
  );
  t.is(tl.position?.offset, 0, 'the new position is taken before reading');
  // The second resolves first: the position must still wait for the first chunk.
  sink.held[1]!.resolve();
  await quiet();
  t.is(tl.position?.offset, 0, 'no position past a chunk whose sink has not resolved');
  t.is(sink.held.length, 2);
  sink.held[0]!.resolve();
  await until(() => tl.position?.offset === 40 && sink.held.length === 4, 'the position past both and two more chunks');
  for (let i = 2; i < 5; i++) {
    await until(() => sink.held.length > i, `chunk ${i + 1}`);
    sink.held[i]!.resolve();
    await until(() => tl.position?.offset === (i + 1) * 20, `the position past chunk ${i + 1}`);
  }
  await tl.stop();
  t.is(tl.position?.offset, 100);
});

test('the position moves in file order whatever order the sink resolves in, and each chunk carries its own', async (t) => {
  const { sink, tl } = await heldTailer(t, { maxInFlight: 3 });
  await until(() => sink.held.length === 3, 'three chunks');
  const seen: number[] = [];
  // Resolved last to first: the position moves only when the first resolves, then past all three at once.
  sink.held[2]!.resolve();
  sink.held[1]!.resolve();
  await quiet();
  seen.push(tl.position!.offset);
  sink.held[0]!.resolve();
  await until(() => tl.position?.offset === 60, 'the position past the three');
  seen.push(tl.position!.offset);
  for (let i = 3; i < 5; i++) {
    await until(() => sink.held.length > i, `chunk ${i + 1}`);
    sink.held[i]!.resolve();
  }
  await tl.stop();
  t.deepEqual(seen, [0, 60]);
  t.deepEqual(
    sink.held.map((h) => h.position.offset),
    [20, 40, 60, 80, 100],
  );
  t.is(tl.position?.offset, 100);
});

test('a chunk whose sink fails stops the position before it; the next poll reads on from there', async (t) => {
  const reports: string[] = [];
  const { sink, tl } = await heldTailer(t, { onReport: (r) => void reports.push(r.kind) });
  await until(() => sink.held.length === 2, 'two chunks');
  sink.held[0]!.resolve();
  await until(() => sink.held.length === 3, 'the third chunk');
  // Chunk 2 (to 40) fails while chunk 3 (to 60), already handed over, succeeds.
  t.deepEqual(
    sink.held.map((h) => h.position.offset),
    [20, 40, 60],
  );
  sink.held[2]!.resolve();
  sink.held[1]!.reject(new Error('disk full'));
  await until(() => reports.length > 0, 'the error report');
  await quiet();
  t.is(tl.position?.offset, 20, 'nothing past the failed chunk moves the position');
  t.deepEqual(reports, ['error']);
  const before = sink.held.length;
  let settled = false;
  const again = tl.pollNow().finally(() => (settled = true));
  await until(() => sink.held.length > before, 'the chunk read again');
  t.is(sink.held[before]?.position.offset, 40, 'the failed chunk is read again');
  while (!settled) {
    for (const h of sink.held.slice(before)) h.resolve();
    await new Promise((r) => setTimeout(r, 2));
  }
  await again;
  await tl.stop();
  t.is(tl.position?.offset, 100);
});

test('a poll reads up to the size it saw; what was appended after that waits for the next poll', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, TEN_LINES);
  let appended = false;
  const got: number[] = [];
  const tl = new LogTailer({
    path,
    chunkBytes: 20,
    maxInFlight: 2,
    pollMs: 60_000,
    sink: {
      chunk: async (_buf, position) => {
        got.push(position.offset);
        if (!appended) {
          appended = true;
          await appendFile(path, 'late line\n');
        }
      },
      moved: () => Promise.resolve(),
    },
  });
  await tl.start(); // queues the first poll
  await until(() => tl.position?.offset === 100, 'the first poll');
  await quiet();
  t.deepEqual(got, [20, 40, 60, 80, 100], 'the first poll stops at the size it saw');
  await tl.pollNow();
  await tl.stop();
  t.is(got[got.length - 1], 110, 'the next poll delivers the appended line');
  t.is(tl.position?.offset, 110);
});

test('maxInFlight must be a positive integer', (t) => {
  const sink: TailSink = { chunk: () => Promise.resolve(), moved: () => Promise.resolve() };
  for (const maxInFlight of [0, 1.5, -1]) {
    const err = t.throws(() => new LogTailer({ path: '/nonexistent', sink, maxInFlight }));
    t.is((err as { code?: string }).code, 'WUW_CONFIG_INVALID');
  }
});
