import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import { Spool } from '../src/spool/index.js';
import { tempDir } from './fixtures/spool/helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/spool/append-loop.ts', import.meta.url));
const SEGMENT_BYTES = 4096;
const MAX_BYTES = 64 * 1024 * 1024; // large enough that nothing is dropped: every resolved event must survive

type Message =
  | { type: 'ready'; lastSeq: number; ackedSeq: number }
  | { type: 'appended'; pid: number; batch: number; seqs: number[] }
  | { type: 'acked'; upTo: number };

interface Expected {
  readonly pid: number;
  readonly batch: number;
  readonly i: number;
}

/** The payload the child wrote for a (pid, batch, i) — see append-loop.ts. */
function expectedData(e: Expected): Record<string, unknown> {
  return { pid: e.pid, batch: e.batch, i: e.i, pad: 'x'.repeat((e.batch * 7 + e.i * 13) % 300) };
}

/** Runs the child until it has resolved a few appends, then SIGKILLs it at a random moment. */
async function runAndKill(dir: string, resolved: Map<number, Expected>): Promise<{ acked: number; ready: Message }> {
  const child: ChildProcess = fork(CHILD, [dir, String(SEGMENT_BYTES), String(MAX_BYTES)], {
    execArgv: ['--import=tsx', '--conditions=wuwatch-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  let acked = 0;
  let appended = 0;
  let ready: Message | undefined;
  let wakeAfter = 1 + Math.floor(Math.random() * 30);
  let wake: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (wake = resolve));
  child.on('message', (m: Message) => {
    if (m.type === 'ready') ready = m;
    if (m.type === 'acked') acked = Math.max(acked, m.upTo);
    if (m.type === 'appended') {
      m.seqs.forEach((seq, i) => resolved.set(seq, { pid: m.pid, batch: m.batch, i }));
      if (++appended >= wakeAfter) {
        wakeAfter = Number.POSITIVE_INFINITY;
        wake();
      }
    }
  });
  await Promise.race([enough, exited.then(() => Promise.reject(new Error('child exited on its own')))]);
  await new Promise((r) => setTimeout(r, Math.random() * 250));
  child.kill('SIGKILL');
  const [code, signal] = (await exited) as [number | null, string | null];
  if (signal !== 'SIGKILL') throw new Error(`child ended with ${code}/${signal}`);
  if (ready === undefined) throw new Error('child never got ready');
  return { acked, ready };
}

test('SIGKILL while appending: every resolved event survives, seqs stay strictly increasing, no garbage', async (t) => {
  t.timeout(90_000);
  const dir = await tempDir(t);
  const resolved = new Map<number, Expected>();
  let previousLast = 0;
  for (let round = 0; round < 4; round++) {
    const { acked, ready } = await runAndKill(dir, resolved);
    t.true(ready.type === 'ready' && ready.lastSeq >= previousLast, `round ${round}: numbering resumes`);

    const spool = await Spool.open({ dir, segmentBytes: SEGMENT_BYTES, maxBytes: MAX_BYTES });
    const report = spool.openReport;
    t.log(
      `round ${round}: ${resolved.size} resolved, acked ${acked}, lastSeq ${spool.lastSeq}, cuts ${report.cuts.length}`,
    );
    t.true(spool.ackedSeq >= acked, 'acks made before the kill are kept');
    t.true(
      report.cuts.every((c) => c.tornTail),
      'only a torn tail may be cut: a kill cannot damage older data',
    );

    const stored: WireEvent[] = [];
    for (let after = spool.ackedSeq; ;) {
      const page = await spool.peek(after, 500, 1024 * 1024);
      if (page.length === 0) break;
      stored.push(...page);
      after = page[page.length - 1]!.seq;
    }
    for (let i = 1; i < stored.length; i++) t.true(stored[i]!.seq > stored[i - 1]!.seq, 'strictly increasing');
    const bySeq = new Map(stored.map((e) => [e.seq, e]));
    t.is(bySeq.size, stored.length, 'no duplicates');

    let missing = 0;
    for (const [seq, exp] of resolved) {
      if (seq <= spool.ackedSeq) continue;
      const e = bySeq.get(seq);
      if (e === undefined || JSON.stringify(e.data) !== JSON.stringify(expectedData(exp))) missing++;
    }
    t.is(missing, 0, 'every resolved, unacknowledged event is stored intact');
    // Events written but whose resolution the kill hid must still be well-formed child events, in order.
    let prev: Expected | null = null;
    for (const e of stored) {
      t.is(e.kind, 'settings');
      const d = e.data as unknown as Expected;
      t.deepEqual(e.data, expectedData(d));
      if (prev !== null && prev.pid === d.pid)
        t.true(d.batch > prev.batch || (d.batch === prev.batch && d.i === prev.i + 1));
      prev = d;
    }
    const maxResolved = Math.max(0, ...resolved.keys());
    t.true(spool.lastSeq >= maxResolved);
    previousLast = spool.lastSeq;
    await spool.close();
  }
  t.true(resolved.size > 0);
});
