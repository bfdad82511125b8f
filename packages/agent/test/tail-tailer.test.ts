import test from 'ava';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, open, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogTailer } from '../src/tail/index.js';
import type { TailerOptions, TailPosition, TailReport, TailSink } from '../src/tail/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-tail-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A sink that records what it got, plus the reports; `durable` is the position it last took (what a real sink commits
 * with the chunk), the one a restart is given.
 */
function recorder(start: TailPosition | null = null) {
  const chunks: Buffer[] = [];
  const positions: TailPosition[] = [];
  const moves: { position: TailPosition; report: TailReport | null }[] = [];
  const reports: TailReport[] = [];
  let durable = start;
  const sink: TailSink = {
    chunk: (buf, position) => {
      chunks.push(buf);
      positions.push(position);
      durable = position;
      return Promise.resolve();
    },
    moved: (position, report) => {
      moves.push({ position, report });
      durable = position;
      return Promise.resolve();
    },
  };
  return {
    chunks,
    positions,
    moves,
    reports,
    sink,
    get durable() {
      return durable;
    },
    onReport: (r: TailReport) => {
      reports.push(r);
    },
    text: () => Buffer.concat(chunks).toString('latin1'),
  };
}

/** A sink whose chunks go to `onChunk` (moves are taken as they come). */
function chunkSink(onChunk: (buf: Buffer, position: TailPosition) => Promise<void>): TailSink {
  return { chunk: onChunk, moved: () => Promise.resolve() };
}

function tailer(path: string, rec: ReturnType<typeof recorder>, extra: Partial<TailerOptions> = {}) {
  // A long poll interval: the tests drive polls with pollNow() so nothing depends on timing.
  return new LogTailer({ path, sink: rec.sink, start: rec.durable, onReport: rec.onReport, pollMs: 60_000, ...extra });
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const line = (n: number, text = 'Agent\t* Found 0 updates') => `2024-03-05\t09:14:02:123\t 884\ta70\t${text} ${n}\r\n`;

test('appends while running are delivered by the poll timer, whole lines only', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1));
  const rec = recorder();
  const tl = tailer(path, rec, { pollMs: 10 });
  t.is(tl.state, 'idle');
  await tl.start();
  t.is(tl.state, 'reading');
  await waitFor(() => rec.text() === line(1));
  await appendFile(path, line(2) + line(3));
  await waitFor(() => rec.text() === line(1) + line(2) + line(3));
  await appendFile(path, line(4));
  await waitFor(() => rec.text().endsWith(line(4)));
  await tl.stop();
  t.is(tl.state, 'stopped');
  t.is(rec.text(), line(1) + line(2) + line(3) + line(4));
  for (const c of rec.chunks) t.is(c[c.length - 1], 0x0a);
  t.deepEqual(rec.reports, []);
});

test('a partial last line is held back and the position stays before it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, 'first\nsec');
  const rec = recorder();
  const tl = tailer(path, rec);
  await tl.start();
  await tl.pollNow();
  t.is(rec.text(), 'first\n');
  t.is(rec.durable?.offset, 6);
  t.is(tl.position?.offset, 6);
  t.deepEqual(
    rec.positions.map((m) => m.offset),
    [6],
  );
  await appendFile(path, 'ond\nthi');
  await tl.pollNow();
  t.is(rec.text(), 'first\nsecond\n');
  t.is(rec.durable?.offset, 13);
  await tl.stop();
});

test('a new file is announced to the sink at offset 0 before its first chunk; each chunk carries the position after it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  const one = line(1); // every line has the same length: chunks of one line each
  await writeFile(path, one.repeat(10));
  const rec = recorder();
  const tl = tailer(path, rec, { chunkBytes: one.length });
  await tl.start();
  await tl.pollNow();
  t.deepEqual(
    rec.moves.map((m) => [m.position.offset, m.report]),
    [[0, null]],
  );
  t.deepEqual(
    rec.positions.map((p) => p.offset / one.length),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  await appendFile(path, one.repeat(2));
  await tl.pollNow();
  t.deepEqual(rec.positions.map((p) => p.offset / one.length).slice(10), [11, 12]);
  t.is(new Set(rec.positions.map((p) => p.fileId)).size, 1);
  t.is(tl.position?.offset, 12 * one.length);
  await tl.stop();
  t.is(rec.moves.length, 1, 'reading on is no move');
});

test('restart from the durable position continues without gaps or repeats, also across a held-back line', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1) + line(2) + 'par');
  const first = recorder();
  const a = tailer(path, first);
  await a.start();
  await a.pollNow();
  await a.stop();
  t.is(first.text(), line(1) + line(2));

  await appendFile(path, 'tial\n' + line(3));
  const second = recorder(first.durable);
  const b = tailer(path, second);
  await b.start();
  await b.pollNow();
  await b.stop();
  t.is(second.text(), 'partial\n' + line(3));
  t.deepEqual(second.reports, []);
});

test('stop during a catch-up finishes the chunk in flight; a new tailer resumes exactly after it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  const content = Array.from({ length: 2000 }, (_, i) => line(i)).join('');
  await writeFile(path, content);
  const got: Buffer[] = [];
  // A box, not a `let`: TypeScript cannot see the callback assign it, and would take it for null forever.
  const stopped: { promise: Promise<void> | null } = { promise: null };
  const a = new LogTailer({
    path,
    chunkBytes: 4096,
    pollMs: 60_000,
    sink: chunkSink(async (buf) => {
      got.push(buf);
      if (got.length === 3) stopped.promise = a.stop(); // stop while this delivery is in flight
      await new Promise((r) => setTimeout(r, 20));
    }),
  });
  await a.start();
  await waitFor(() => stopped.promise !== null);
  await stopped.promise;
  t.is(a.state, 'stopped');
  t.is(got.length, 3, 'no chunk is read after stop was requested');
  t.is(a.position?.offset, Buffer.concat(got).length, 'the chunk in flight was taken');

  const rest = recorder(a.position);
  const b = tailer(path, rest, { chunkBytes: 4096 });
  await b.start();
  await b.pollNow();
  await b.stop();
  t.is(Buffer.concat(got).toString('latin1') + rest.text(), content);
});

test('truncation restarts at 0 and is reported', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1) + line(2) + line(3));
  const rec = recorder();
  const tl = tailer(path, rec);
  await tl.start();
  await tl.pollNow();
  await truncate(path, 0);
  await appendFile(path, line(9));
  await tl.pollNow();
  await tl.stop();
  t.is(rec.text(), line(1) + line(2) + line(3) + line(9));
  const before = Buffer.byteLength(line(1) + line(2) + line(3));
  t.deepEqual(rec.reports, [{ kind: 'truncated', path, previousOffset: before, size: Buffer.byteLength(line(9)) }]);
});

test('an in-place rewrite that grew past the offset is caught by the head hash', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1));
  const rec = recorder();
  const tl = tailer(path, rec);
  await tl.start();
  await tl.pollNow();
  // Same file (same inode), different content, already longer than what we had read.
  const fh = await open(path, 'r+');
  await fh.truncate(0);
  await fh.write(line(7, 'AU\t## START ##') + line(8));
  await fh.close();
  await tl.pollNow();
  await tl.stop();
  t.is(rec.text(), line(1) + line(7, 'AU\t## START ##') + line(8));
  t.deepEqual(rec.reports, [{ kind: 'replaced', path, reason: 'head', drainedBytes: 0 }]);
});

test('delete + recreate: the old file is finished through the open handle, then the new one is read from 0', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1));
  const rec = recorder();
  const tl = tailer(path, rec);
  await tl.start();
  await tl.pollNow();
  await appendFile(path, line(2)); // written after our last poll
  await unlink(path);
  await writeFile(path, line(100, 'Service\t** START **'));
  await tl.pollNow();
  await tl.stop();
  t.is(rec.text(), line(1) + line(2) + line(100, 'Service\t** START **'));
  t.deepEqual(rec.reports, [{ kind: 'replaced', path, reason: 'file_id', drainedBytes: Buffer.byteLength(line(2)) }]);
});

test('delete + recreate with holdOpen off: the new file is detected (identity or head) and read from 0', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1));
  const rec = recorder();
  const tl = tailer(path, rec, { holdOpen: false });
  await tl.start();
  await tl.pollNow();
  await unlink(path);
  // Longer than before, so only identity or the head can tell (inodes are often reused at once).
  const next = line(100, 'Service\t** START **') + line(101);
  await writeFile(path, next);
  await tl.pollNow();
  await tl.stop();
  t.is(rec.text(), line(1) + next);
  t.is(rec.reports.length, 1);
  t.is(rec.reports[0]?.kind, 'replaced');
});

test('rename-rotation while running: nothing lost, nothing repeated, also after a restart', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  const old = join(dir, 'WindowsUpdate.old');
  await writeFile(path, line(1) + line(2));
  const rec = recorder();
  const tl = tailer(path, rec);
  await tl.start();
  await tl.pollNow();
  await appendFile(path, line(3)); // before the rename, after our poll
  await rename(path, old);
  await appendFile(old, line(4) + 'unterminated last line'); // the writer still had the old file open
  await writeFile(path, line(5, 'Service\t** START **'));
  await tl.pollNow();
  await appendFile(path, line(6));
  await tl.pollNow();
  await tl.stop();
  const expected =
    line(1) + line(2) + line(3) + line(4) + 'unterminated last line' + line(5, 'Service\t** START **') + line(6);
  t.is(rec.text(), expected);
  t.deepEqual(rec.reports, [
    {
      kind: 'replaced',
      path,
      reason: 'file_id',
      drainedBytes: Buffer.byteLength(line(3) + line(4) + 'unterminated last line'),
    },
  ]);
  // The chunks of the two files carry their own identities.
  t.is(new Set(rec.positions.map((m) => m.fileId)).size, 2);
  // The new file was announced, with the report, before its first chunk.
  t.deepEqual(
    rec.moves.map((m) => [m.position.offset, m.report?.kind ?? null]),
    [
      [0, null],
      [0, 'replaced'],
    ],
  );

  await appendFile(path, line(7));
  const after = recorder(rec.durable);
  const again = tailer(path, after);
  await again.start();
  await again.pollNow();
  await again.stop();
  t.is(after.text(), line(7));
});

test('a missing file is reported once, then read from 0 when it appears', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  const rec = recorder();
  const tl = tailer(path, rec);
  await tl.start();
  await tl.pollNow();
  await tl.pollNow();
  t.deepEqual(rec.reports, [{ kind: 'missing', path }]);
  await writeFile(path, line(1));
  await tl.pollNow();
  t.is(rec.text(), line(1));
  await unlink(path);
  await tl.pollNow();
  t.deepEqual(
    rec.reports.map((r) => r.kind),
    ['missing', 'missing'],
  );
  await tl.stop();
});

test('startAt end skips the existing history but not a partial line in progress', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1) + line(2) + 'in prog');
  const rec = recorder();
  const tl = tailer(path, rec, { startAt: 'end' });
  await tl.start();
  await tl.pollNow();
  t.is(rec.text(), '');
  await appendFile(path, 'ress\n' + line(3));
  await tl.pollNow();
  await tl.stop();
  t.is(rec.text(), 'in progress\n' + line(3));
});

test('a rejecting sink does not move the position; the chunk comes again on the next poll', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  await writeFile(path, line(1));
  const reports: TailReport[] = [];
  const got: string[] = [];
  let fail = true;
  const tl = new LogTailer({
    path,
    pollMs: 60_000,
    onReport: (r) => reports.push(r),
    sink: chunkSink((buf) => {
      if (fail) return Promise.reject(new Error('spool full'));
      got.push(buf.toString('latin1'));
      return Promise.resolve();
    }),
  });
  await tl.start();
  await tl.pollNow();
  t.is(tl.position?.offset, 0, 'only the new position, taken before reading');
  t.is(reports.length, 1);
  const first = reports[0];
  t.true(first?.kind === 'error' && first.error.code === 'WUW_INTERNAL');
  fail = false;
  await tl.pollNow();
  await tl.stop();
  t.deepEqual(got, [line(1)]);
  t.is(tl.position?.offset, Buffer.byteLength(line(1)));
});

test('lifecycle: stop is idempotent, stop before start works, a stopped tailer cannot start again', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  const rec = recorder();
  const never = tailer(path, rec);
  await never.stop();
  t.is(never.state, 'stopped');
  const tl = tailer(path, rec);
  const s1 = tl.start();
  t.is(tl.start(), s1);
  await s1;
  const p1 = tl.stop();
  t.is(tl.stop(), p1);
  await p1;
  await t.throwsAsync(tl.start(), { message: /stopped log tailer/ });
});

test('a 100 MB backlog is read in bounded chunks with backpressure and arrives intact', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'WindowsUpdate.log');
  const block = Buffer.from(Array.from({ length: 8000 }, (_, i) => line(i, 'DnldMgr\tWARNING: BITS job')).join(''));
  const target = 100 * 1024 * 1024;
  const whole = createHash('sha256');
  const fh = await open(path, 'w');
  let size = 0;
  while (size < target) {
    await fh.write(block);
    whole.update(block);
    size += block.length;
  }
  await fh.close();

  const chunkBytes = 256 * 1024;
  const got = createHash('sha256');
  let total = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxChunk = 0;
  let badEnds = 0;
  const reports: TailReport[] = [];
  const tl = new LogTailer({
    path,
    chunkBytes,
    pollMs: 60_000,
    onReport: (r) => reports.push(r),
    sink: chunkSink(async (buf) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      maxChunk = Math.max(maxChunk, buf.length);
      if (buf[buf.length - 1] !== 0x0a) badEnds++;
      got.update(buf);
      total += buf.length;
      await new Promise((r) => setImmediate(r));
      inFlight--;
    }),
  });
  const started = Date.now();
  await tl.start();
  await tl.pollNow();
  await tl.stop();
  t.log(`100 MB in ${Date.now() - started} ms`);
  t.is(total, size);
  t.is(got.digest('hex'), whole.digest('hex'));
  t.is(maxInFlight, 1, 'the next chunk is read only after the sink resolved');
  t.true(maxChunk <= chunkBytes);
  t.is(badEnds, 0, 'every chunk ends after a complete line');
  t.is(tl.position?.offset, size);
  t.deepEqual(
    reports,
    [{ kind: 'caught_up', path, offset: size, bytes: size }],
    'a backlog worked through is reported',
  );
});

test('property: any interleaving of appends, polls and restarts delivers a prefix of the file once, in order', async (t) => {
  const dir = await tempDir(t);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), text: fc.stringMatching(/^[a-c\n]{0,40}$/) }),
    fc.record({ kind: fc.constant('poll' as const) }),
    fc.record({ kind: fc.constant('restart' as const) }),
  );
  let run = 0;
  const property = fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 25 }), fc.integer({ min: 4, max: 64 }), async (ops, chunkBytes) => {
      const path = join(dir, `log-${run++}.log`);
      await writeFile(path, '');
      const got: Buffer[] = [];
      let durable: TailPosition | null = null;
      const sink: TailSink = {
        chunk: (buf, position) => {
          got.push(buf);
          durable = position;
          return Promise.resolve();
        },
        moved: (position) => {
          durable = position;
          return Promise.resolve();
        },
      };
      const make = () => new LogTailer({ path, sink, start: durable, chunkBytes, pollMs: 60_000 });
      let tl = make();
      await tl.start();
      let content = '';
      for (const o of ops) {
        if (o.kind === 'append') {
          await appendFile(path, o.text);
          content += o.text;
        } else if (o.kind === 'poll') {
          await tl.pollNow();
        } else {
          await tl.stop();
          tl = make();
          await tl.start();
        }
      }
      await tl.pollNow();
      await tl.stop();
      const delivered = Buffer.concat(got).toString('latin1');
      const rest = content.slice(delivered.length);
      return (
        content.startsWith(delivered) &&
        !rest.includes('\n') &&
        rest.length < chunkBytes &&
        got.every((c) => c[c.length - 1] === 0x0a || c.length === chunkBytes)
      );
    }),
    { numRuns: 60 },
  );
  await t.notThrowsAsync(property);
});
