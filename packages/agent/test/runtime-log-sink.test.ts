import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { WireEvent } from '@wuwatch/core';
import { LogSink } from '../src/runtime/log-sink.js';
import type { TailCursor } from '../src/runtime/tail-cursor.js';
import { isLogEvent } from '../src/runtime/to-events.js';
import type { SpoolInput } from '../src/spool/index.js';
import { LogTailer, type TailPosition } from '../src/tail/index.js';
import { cycles } from './helpers/sim.js';

const WSUS = 'http://wsus.corp.example:8530';
const FILE_ID = '7:42';

/**
 * A spool in memory that, like the real one, takes events and the tail's cursor in one append: both or neither.
 * Each sink is one agent life; `kill()` ends the current one: nothing it commits from then on lands (its appends
 * hang, as those of a killed process never finish).
 */
function memorySpool(start: WireEvent[] = []) {
  const events: WireEvent[] = [...start];
  let cursor: TailCursor | null = null;
  const cursors: TailCursor[] = [];
  let lives = 0;
  let killedUpTo = 0;
  const spool = {
    events,
    cursors,
    get cursor() {
      return cursor;
    },
    /** A commit function for a new agent life. */
    life: () => {
      const mine = ++lives;
      return (input: SpoolInput[], c: TailCursor): Promise<void> => {
        if (mine <= killedUpTo) return new Promise<void>(() => undefined);
        const stored = input.map((e, i): WireEvent => ({ ...e, seq: (events.at(-1)?.seq ?? 0) + i + 1 }));
        events.push(...stored);
        // What the spool stores is JSON: a later change to the object must not reach it.
        cursor = JSON.parse(JSON.stringify(c)) as TailCursor;
        cursors.push(cursor);
        return Promise.resolve();
      };
    },
    /** Kills the current agent life. */
    kill: () => {
      killedUpTo = lives;
    },
    // Someone else appends too (policy, probes): log events are told apart by their content.
    other: () =>
      events.push({ seq: (events.at(-1)?.seq ?? 0) + 1, time: '2026-11-20T00:00:00.000Z', kind: 'probe', data: {} }),
  };
  return spool;
}
type MemorySpool = ReturnType<typeof memorySpool>;

/** The log, in chunks that end after a line: chunk `i` is cycles 10*i to 10*i+9. */
const CHUNKS = Array.from({ length: 6 }, (_, i) =>
  Buffer.from(cycles('2026-11-20', i * 10, i * 10 + 9, WSUS, i % 2 ? null : '0x80244022')),
);
const ends = CHUNKS.reduce<number[]>((acc, c) => [...acc, (acc.at(-1) ?? 0) + c.length], []);
const pos = (offset: number, fileId = FILE_ID): TailPosition => ({
  path: '/x/WindowsUpdate.log',
  fileId,
  offset,
  headHash: 'ab'.repeat(32),
  headLength: 2,
});
const after = (i: number) => pos(ends[i]!);

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-log-sink-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A sink over `spool`, resuming from the cursor the spool holds (as the agent does on start). */
function sink(spool: MemorySpool, commit = spool.life()) {
  return new LogSink({
    offsetMinutes: 0,
    commit,
    resume: spool.cursor,
    log: pino({ level: 'silent' }),
  });
}

const logEventsOf = (spool: MemorySpool) => spool.events.filter(isLogEvent).map(({ seq: _seq, ...e }) => e);

/** The log events of a run over the first `n` chunks that was never interrupted. */
async function uninterrupted(n = CHUNKS.length): Promise<unknown[]> {
  const spool = memorySpool();
  const s = sink(spool);
  await s.moved(pos(0), null);
  for (let i = 0; i < n; i++) await s.chunk(CHUNKS[i]!, after(i));
  return logEventsOf(spool);
}

test('killed with a chunk parsed but its append not on disk: the restart resumes from the cursor and spools each event once', async (t) => {
  const spool = memorySpool();
  const before = sink(spool);
  await before.moved(pos(0), null);
  await before.chunk(CHUNKS[0]!, after(0));
  await before.chunk(CHUNKS[1]!, after(1));
  spool.other();
  // Chunks 3 and 4 parsed and handed to the spool, the agent killed before either append is on disk.
  void before.chunk(CHUNKS[2]!, after(2));
  void before.chunk(CHUNKS[3]!, after(3));
  spool.kill();
  await new Promise((r) => setImmediate(r));
  t.deepEqual(spool.cursor?.position, after(1), 'the cursor is that of the last append on disk');
  const restarted = sink(spool);
  t.deepEqual(restarted.position, after(1));
  for (let i = 2; i < CHUNKS.length; i++) await restarted.chunk(CHUNKS[i]!, after(i));
  t.deepEqual(logEventsOf(spool), await uninterrupted(), 'the same events in the same order, none twice');
});

test('chunks handed over before the first resolved keep their order, each committed with its own parser state', async (t) => {
  const spool = memorySpool();
  const s = sink(spool);
  await s.moved(pos(0), null);
  // Like the tailer with two in flight: the second chunk is given before the first resolved.
  await Promise.all([s.chunk(CHUNKS[0]!, after(0)), s.chunk(CHUNKS[1]!, after(1))]);
  const lines = (i: number) => CHUNKS.slice(0, i + 1).reduce((n, c) => n + c.toString().split('\n').length - 1, 0);
  t.deepEqual(
    spool.cursors.map((c) => [c.position.offset, c.parser?.lineNo ?? null]),
    [
      [0, null],
      [ends[0], lines(0)],
      [ends[1], lines(1)],
    ],
  );
  t.deepEqual(logEventsOf(spool), await uninterrupted(2));
  t.is(spool.events.length, (await uninterrupted(2)).length);
});

test('isLogEvent: what the log tail spools, not event-channel findings or other kinds', (t) => {
  t.true(isLogEvent({ kind: 'detection', data: { source: 'log', line: 3 } }));
  t.false(isLogEvent({ kind: 'detection', data: { source: 'event', recordId: 9 } }));
  t.true(isLogEvent({ kind: 'network_error', data: { line: 12, hresult: '0x80244022' } }));
  t.false(isLogEvent({ kind: 'install', data: { recordId: 4, channel: 'System' } }));
  t.false(isLogEvent({ kind: 'probe', data: {} }));
});

// With a real tailer over a file, two chunks in flight.
const LOG_TEXT = Buffer.concat(CHUNKS);
const CHUNK_BYTES = Math.ceil(LOG_TEXT.length / CHUNKS.length);

/** A spool whose `failOn`-th append fails, and with `until: 'fixed'` every one after it until `broken` is cleared. */
function flakySpool(failOn: number, until: 'once' | 'fixed' = 'once') {
  const spool = memorySpool();
  let calls = 0;
  const flaky = {
    ...spool,
    broken: true,
    get cursor() {
      return spool.cursor;
    },
    life: () => {
      const commit = spool.life();
      return (input: SpoolInput[], c: TailCursor) => {
        calls++;
        const fails = until === 'once' ? calls === failOn : calls >= failOn && flaky.broken;
        return fails ? Promise.reject(new Error('EIO: write failed')) : commit(input, c);
      };
    },
  };
  return flaky;
}

/** A sink and a tailer over `dir`'s log, resuming from the spool's cursor, for the poll start() queues and one more. */
async function tail(dir: string, spool: MemorySpool) {
  const s = sink(spool, spool.life());
  const tl = new LogTailer({
    path: join(dir, 'WindowsUpdate.log'),
    sink: s,
    start: s.position,
    chunkBytes: CHUNK_BYTES,
    maxInFlight: 2,
    pollMs: 60_000,
  });
  await tl.start();
  await tl.pollNow();
  await tl.stop();
}

test('a chunk whose append failed while the next was in flight, read again by the next poll: every event once', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'WindowsUpdate.log'), LOG_TEXT);
  // Only the fourth append (the third chunk) fails: the next, already parsed, must not be spooled before it is.
  const spool = flakySpool(4, 'once');
  await tail(dir, spool);
  t.deepEqual(logEventsOf(spool), await uninterrupted());
});

test('a chunk whose append failed while the next was in flight, then a restart: every event once', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'WindowsUpdate.log'), LOG_TEXT);
  const spool = flakySpool(4, 'fixed');
  await tail(dir, spool);
  t.true(logEventsOf(spool).length < (await uninterrupted()).length, 'the first run stopped at the failed chunk');
  spool.broken = false;
  await tail(dir, spool);
  t.deepEqual(logEventsOf(spool), await uninterrupted());
});

test('killed twice while catching up: the second restart still spools every event once', async (t) => {
  const spool = memorySpool();
  const first = sink(spool);
  await first.moved(pos(0), null);
  await first.chunk(CHUNKS[0]!, after(0));
  void first.chunk(CHUNKS[1]!, after(1)); // chunk 2 parsed, never on disk
  spool.kill();
  const second = sink(spool);
  await second.chunk(CHUNKS[1]!, after(1));
  void second.chunk(CHUNKS[2]!, after(2)); // killed again with chunk 3's append in flight
  spool.kill();
  const third = sink(spool);
  for (let i = 2; i < CHUNKS.length; i++) await third.chunk(CHUNKS[i]!, after(i));
  t.deepEqual(logEventsOf(spool), await uninterrupted());
});

test('a file replaced while the agent was down: the cycle open at the cursor is ended once, nothing else repeated', async (t) => {
  const spool = memorySpool();
  const before = sink(spool);
  await before.moved(pos(0), null);
  // A START and two more lines of a cycle: open in the parser when the agent stops.
  const open = Buffer.from(cycles('2026-11-20', 0, 0, WSUS, null).split('\n').slice(0, 3).join('\n') + '\n');
  await before.chunk(open, pos(open.length));
  await before.flush(); // the tailer's end of the poll
  t.deepEqual(spool.events, [], 'an open cycle is not an event yet');
  const restarted = sink(spool);
  const report = { kind: 'replaced', path: '/x/WindowsUpdate.log', reason: 'file_id', drainedBytes: 0 } as const;
  await restarted.moved(pos(0, '7:43'), report);
  t.is(spool.events.length, 1, 'the open cycle ends with the old file');
  t.like(spool.events[0], { kind: 'detection', data: { line: 1 } });
  t.deepEqual(spool.cursor?.position, pos(0, '7:43'), 'committed with the new file position');
  // Killed right after: the next start is at the new file, and the old cycle is not ended again.
  const again = sink(spool);
  t.deepEqual(again.position, pos(0, '7:43'));
  await again.chunk(CHUNKS[0]!, pos(CHUNKS[0]!.length, '7:43'));
  t.is(spool.events.filter((e) => e.kind === 'detection' && e.data.line === 1).length, 2, 'line 1 of each file');
});

test('killed while the first chunks of a file were handed over: the restart spools each event once', async (t) => {
  const spool = memorySpool();
  spool.other(); // the spool is not empty: seqs of log events do not start at 1
  const before = sink(spool);
  await before.moved(pos(0), null); // the tailer announces a new file before it reads
  void before.chunk(CHUNKS[0]!, after(0));
  void before.chunk(CHUNKS[1]!, after(1));
  spool.kill(); // killed before either is on disk
  const restarted = sink(spool);
  t.deepEqual(restarted.position, pos(0));
  for (let i = 0; i < CHUNKS.length; i++) await restarted.chunk(CHUNKS[i]!, after(i));
  t.deepEqual(logEventsOf(spool), await uninterrupted());
});

test('a chunk without events is taken without a write; the next commit or the end of the poll carries its cursor', async (t) => {
  const spool = memorySpool();
  const s = sink(spool);
  await s.moved(pos(0), null);
  const lines = CHUNKS[0]!.toString().split('\r\n');
  // Two lines of a cycle: no event yet, the parser state moved on.
  const quiet = Buffer.from(lines.slice(0, 2).join('\r\n') + '\r\n');
  await s.chunk(quiet, pos(quiet.length));
  t.is(spool.cursors.length, 1, 'no append for it');
  await s.flush();
  t.is(spool.cursors.length, 2);
  t.deepEqual(spool.cursor?.position, pos(quiet.length));
  t.is(spool.cursor?.parser?.lineNo, 2);
  await s.flush();
  t.is(spool.cursors.length, 2, 'nothing left to flush: no append');
  // Killed with an eventless chunk taken and not flushed: the restart reads it again, nothing lost or repeated.
  const rest = Buffer.from(lines.slice(2, 4).join('\r\n') + '\r\n');
  await s.chunk(rest, pos(quiet.length + rest.length));
  spool.kill();
  const again = sink(spool);
  t.deepEqual(again.position, pos(quiet.length));
  const tail = CHUNKS[0]!.subarray(quiet.length);
  await again.chunk(tail, pos(CHUNKS[0]!.length));
  t.deepEqual(logEventsOf(spool), await uninterrupted(1));
});
