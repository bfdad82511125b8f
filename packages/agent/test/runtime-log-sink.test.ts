import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { WireEvent } from '@wuwatch/core';
import { LogSink } from '../src/runtime/log-sink.js';
import { isLogEvent } from '../src/runtime/to-events.js';
import type { SpoolInput } from '../src/spool/index.js';
import { LogTailer, type Checkpoint } from '../src/tail/index.js';
import { cycles } from './helpers/sim.js';

const WSUS = 'http://wsus.corp.example:8530';
const FILE_ID = '7:42';

/** A spool in memory: numbers what it is given, like the real one. */
function memorySpool(start: WireEvent[] = []) {
  const events: WireEvent[] = [...start];
  return {
    events,
    append: (input: SpoolInput[]) => {
      const stored = input.map((e, i): WireEvent => ({ ...e, seq: (events.at(-1)?.seq ?? 0) + i + 1 }));
      events.push(...stored);
      return Promise.resolve(stored);
    },
    // Someone else appends too (policy, probes): log events are told apart by their content.
    other: () =>
      events.push({ seq: (events.at(-1)?.seq ?? 0) + 1, time: '2026-11-20T00:00:00.000Z', kind: 'probe', data: {} }),
    logEventsAfter: (seq: number) =>
      Promise.resolve(events.filter((e) => e.seq > seq && isLogEvent(e)).map((e) => e.seq)),
  };
}

/** The log, in chunks that end after a line: chunk `i` is cycles 10*i to 10*i+9. */
const CHUNKS = Array.from({ length: 6 }, (_, i) =>
  Buffer.from(cycles('2026-11-20', i * 10, i * 10 + 9, WSUS, i % 2 ? null : '0x80244022')),
);
const ends = CHUNKS.reduce<number[]>((acc, c) => [...acc, (acc.at(-1) ?? 0) + c.length], []);
const cp = (offset: number): Checkpoint => ({
  path: '/x/WindowsUpdate.log',
  fileId: FILE_ID,
  offset,
  headHash: 'ab'.repeat(32),
  headLength: 2,
});
const meta = (i: number) => ({ offsetAfter: ends[i]!, fileId: FILE_ID });

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-log-sink-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function sink(stateDir: string, spool: ReturnType<typeof memorySpool>, countFails = false) {
  return new LogSink({
    stateDir,
    offsetMinutes: 0,
    append: spool.append,
    spooledLogEventsAfter: countFails ? () => Promise.reject(new Error('spool unreadable')) : spool.logEventsAfter,
    initialLogSeq: spool.events.at(-1)?.seq ?? 0,
    log: pino({ level: 'silent' }),
  });
}

/** The log events of a run over the first `n` chunks that was never interrupted. */
async function uninterrupted(t: { teardown(fn: () => Promise<void>): void }, n = CHUNKS.length): Promise<unknown[]> {
  const spool = memorySpool();
  const s = sink(await tempDir(t), spool);
  for (let i = 0; i < n; i++) await s.onChunk(CHUNKS[i]!, meta(i));
  return spool.events.filter(isLogEvent).map(({ seq: _seq, ...e }) => e);
}

test('killed after spooling chunks it had not checkpointed: the restart re-reads them and spools each event once', async (t) => {
  const stateDir = await tempDir(t);
  const spool = memorySpool();
  const before = sink(stateDir, spool);
  await before.onChunk(CHUNKS[0]!, meta(0));
  await before.onChunk(CHUNKS[1]!, meta(1));
  await before.store.save(cp(ends[1]!)); // the tailer checkpoints after chunk 2
  spool.other();
  await before.onChunk(CHUNKS[2]!, meta(2)); // spooled, then killed before its checkpoint
  await before.onChunk(CHUNKS[3]!, meta(3));

  const after = sink(stateDir, spool);
  t.deepEqual(await after.store.load(), cp(ends[1]!));
  for (let i = 2; i < CHUNKS.length; i++) await after.onChunk(CHUNKS[i]!, meta(i));
  const logEvents = spool.events.filter(isLogEvent).map(({ seq: _seq, ...e }) => e);
  t.deepEqual(logEvents, await uninterrupted(t), 'the same events in the same order, none twice');
});

test('chunks handed over before the first resolved keep their order and their own progress', async (t) => {
  const stateDir = await tempDir(t);
  const spool = memorySpool();
  const s = sink(stateDir, spool);
  // Like the tailer with two in flight: the second chunk is given before the first resolved.
  await Promise.all([s.onChunk(CHUNKS[0]!, meta(0)), s.onChunk(CHUNKS[1]!, meta(1))]);
  await s.store.save(cp(ends[0]!));
  const reloaded = sink(stateDir, memorySpool());
  await reloaded.store.load();
  t.is(
    reloaded.store.loadedLogSeq,
    (await uninterrupted(t, 1)).length,
    "chunk 1's checkpoint holds chunk 1's last seq",
  );
  t.is(reloaded.store.loadedState?.lineNo, CHUNKS[0]!.toString().split('\n').length - 1);
  t.deepEqual(
    spool.events.map(({ seq: _seq, ...e }) => e),
    await uninterrupted(t, 2),
  );
});

test('when the spool cannot be counted the restart spools the re-read again: a repeat, not a loss', async (t) => {
  const stateDir = await tempDir(t);
  const spool = memorySpool();
  const before = sink(stateDir, spool);
  await before.onChunk(CHUNKS[0]!, meta(0));
  await before.store.save(cp(ends[0]!));
  await before.onChunk(CHUNKS[1]!, meta(1));
  const secondChunk = spool.events.length - (await uninterrupted(t, 1)).length;
  const after = sink(stateDir, spool, true);
  await after.store.load();
  const once = spool.events.length;
  await after.onChunk(CHUNKS[1]!, meta(1));
  t.is(spool.events.length, once + secondChunk);
});

test('isLogEvent: what the log tail spools, not event-channel findings or other kinds', (t) => {
  t.true(isLogEvent({ kind: 'detection', data: { source: 'log', line: 3 } }));
  t.false(isLogEvent({ kind: 'detection', data: { source: 'event', recordId: 9 } }));
  t.true(isLogEvent({ kind: 'network_error', data: { line: 12, hresult: '0x80244022' } }));
  t.false(isLogEvent({ kind: 'install', data: { recordId: 4, channel: 'System' } }));
  t.false(isLogEvent({ kind: 'probe', data: {} }));
});

// With a real tailer over a file, two chunks in flight: what the review of the exactly-once resume found.
const LOG_TEXT = Buffer.concat(CHUNKS);
const CHUNK_BYTES = Math.ceil(LOG_TEXT.length / CHUNKS.length);

/** A spool whose `failOn`-th append fails, and with `until: 'fixed'` every one after it until `broken` is cleared. */
function flakySpool(failOn: number, until: 'once' | 'fixed' = 'once') {
  const spool = memorySpool();
  let calls = 0;
  const flaky = {
    ...spool,
    broken: true,
    append: (input: SpoolInput[]) => {
      calls++;
      const fails = until === 'once' ? calls === failOn : calls >= failOn && flaky.broken;
      return fails ? Promise.reject(new Error('EIO: write failed')) : spool.append(input);
    },
  };
  return flaky;
}

/** A sink and a tailer over `dir`'s log, for the poll start() queues and one more. */
async function tail(dir: string, spool: ReturnType<typeof memorySpool>, tweak?: (s: LogSink) => void) {
  const s = sink(dir, spool);
  tweak?.(s);
  const tl = new LogTailer({
    path: join(dir, 'WindowsUpdate.log'),
    store: s.store,
    chunkBytes: CHUNK_BYTES,
    maxInFlight: 2,
    pollMs: 60_000,
    onChunk: (buf, m) => s.onChunk(buf, m),
    onReport: (r) => s.onReport(r),
  });
  await tl.start();
  await tl.pollNow();
  await tl.stop();
}

const logEventsOf = (spool: ReturnType<typeof memorySpool>) =>
  spool.events.filter(isLogEvent).map(({ seq: _seq, ...e }) => e);

test('a chunk whose append failed while the next was in flight, read again by the next poll: every event once', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'WindowsUpdate.log'), LOG_TEXT);
  // Only the third append fails: the fourth, already in flight, must not be spooled before the third is.
  const spool = flakySpool(3, 'once');
  await tail(dir, spool);
  t.deepEqual(logEventsOf(spool), await uninterrupted(t));
});

test('a chunk whose append failed while the next was in flight, then a restart: every event once', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'WindowsUpdate.log'), LOG_TEXT);
  const spool = flakySpool(3, 'fixed');
  await tail(dir, spool);
  t.true(logEventsOf(spool).length < (await uninterrupted(t)).length, 'the first run stopped at the failed chunk');
  spool.broken = false;
  await tail(dir, spool);
  t.deepEqual(logEventsOf(spool), await uninterrupted(t));
});

test('a failed checkpoint save does not hand the chunks after it to the sink again', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'WindowsUpdate.log'), LOG_TEXT);
  const spool = memorySpool();
  let saves = 0;
  const offsets: number[] = [];
  await tail(dir, spool, (s) => {
    const save = s.store.save.bind(s.store);
    s.store.save = async (cp) => {
      if (++saves === 2) throw new Error('EPERM: rename refused');
      return save(cp);
    };
    const onChunk = s.onChunk.bind(s);
    s.onChunk = (buf, m) => {
      offsets.push(m.offsetAfter);
      return onChunk(buf, m);
    };
  });
  t.true(
    offsets.every((o, i) => i === 0 || o > offsets[i - 1]!),
    `each chunk handed over once: ${offsets.join(' ')}`,
  );
  t.is(offsets.at(-1), LOG_TEXT.length);
  t.deepEqual(logEventsOf(spool), await uninterrupted(t));
});

test('killed twice while catching up: the second restart still spools every event once', async (t) => {
  const stateDir = await tempDir(t);
  const spool = memorySpool();
  const first = sink(stateDir, spool);
  await first.onChunk(CHUNKS[0]!, meta(0));
  await first.store.save(cp(ends[0]!));
  await first.onChunk(CHUNKS[1]!, meta(1));
  await first.onChunk(CHUNKS[2]!, meta(2)); // killed before the checkpoints of chunks 2 and 3
  const second = sink(stateDir, spool);
  await second.store.load();
  await second.onChunk(CHUNKS[1]!, meta(1)); // all of it already spooled
  await second.store.save(cp(ends[1]!)); // killed again before chunk 3's checkpoint
  const third = sink(stateDir, spool);
  await third.store.load();
  for (let i = 2; i < CHUNKS.length; i++) await third.onChunk(CHUNKS[i]!, meta(i));
  t.deepEqual(logEventsOf(spool), await uninterrupted(t));
});

test('a file replaced while the agent was down: nothing of the old file is spooled again', async (t) => {
  // The run before may have spooled the old file past its last checkpoint, so its saved state is not ended here.
  const stateDir = await tempDir(t);
  const spool = memorySpool();
  const before = sink(stateDir, spool);
  const open = Buffer.from(cycles('2026-11-20', 0, 0, WSUS, null).split('\n').slice(0, 2).join('\n') + '\n');
  await before.onChunk(open, { offsetAfter: open.length, fileId: FILE_ID });
  await before.store.save(cp(open.length));
  const after = sink(stateDir, spool);
  await after.store.load();
  after.onReport({ kind: 'replaced', path: '/x/WindowsUpdate.log', reason: 'file_id', drainedBytes: 0 });
  await new Promise((r) => setTimeout(r, 10));
  t.deepEqual(spool.events, []);
});

test('killed while the first chunks of a file were handed over: the restart spools each event once', async (t) => {
  const stateDir = await tempDir(t);
  const spool = memorySpool();
  spool.other(); // the spool is not empty: the file's checkpoint at 0 holds where its events start
  const before = sink(stateDir, spool);
  await before.store.save(cp(0)); // the tailer saves a new file's position before it reads
  await before.onChunk(CHUNKS[0]!, meta(0));
  await before.onChunk(CHUNKS[1]!, meta(1)); // killed before the checkpoint of either
  const after = sink(stateDir, spool);
  t.deepEqual(await after.store.load(), cp(0));
  for (let i = 0; i < CHUNKS.length; i++) await after.onChunk(CHUNKS[i]!, meta(i));
  t.deepEqual(logEventsOf(spool), await uninterrupted(t));
});
