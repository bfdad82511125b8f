// Proves: LogTailer + LogSink spool each log event exactly once, in order, through append failures and crashes.
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { WireEvent } from '@wuwatch/core';
import { LogSink } from '../src/runtime/log-sink.js';
import { isLogEvent } from '../src/runtime/to-events.js';
import type { SpoolInput } from '../src/spool/index.js';
import type { TailCursor } from '../src/runtime/tail-cursor.js';
import { LogTailer } from '../src/tail/index.js';
import { cycles } from './helpers/sim.js';

const WSUS = 'http://wsus.corp.example:8530';
const LOG_TEXT = Array.from({ length: 6 }, (_, i) =>
  cycles('2026-11-20', i * 10, i * 10 + 9, WSUS, i % 2 ? null : '0x80244022'),
).join('');
// Seven chunks: with two in flight a fault can hit a chunk while the next one is already being spooled.
const CHUNK_BYTES = Math.ceil(LOG_TEXT.length / 7);
// An uninterrupted run of the default setup takes 8 durable steps (a new file, seven chunks); 24 also reaches the
// steps of the recoveries after faults.
const FIRST_STEPS = 24;

type Fault = 'fail' | 'crash';
type Plan = ReadonlyMap<number, Fault>;

interface Setup {
  chunkBytes: number;
  maxInFlight: number;
  /** After a poll that reported an error: keep polling in-process (retry), or stop() and start a new agent. */
  onError: 'retry' | 'restart';
}
const DEFAULT_SETUP: Setup = { chunkBytes: CHUNK_BYTES, maxInFlight: 2, onError: 'retry' };

const killed = () => new Error('the agent was killed');

/**
 * What outlives the agent: the in-memory spool, its events and the tail's cursor (committed together, as the real
 * spool does in one write). Every durable step (a spool append) is numbered in the order it happens; the plan makes
 * step n fail (the call rejects) or kills the agent right before it (nothing of it is done and nothing of that agent
 * ever settles again).
 */
class World {
  readonly spool: WireEvent[] = [];
  readonly trace: string[] = [];
  cursor: TailCursor | null = null;
  life = 0;
  death: Promise<'killed'> = new Promise(() => undefined);
  private ops = 0;
  private dead = false;
  private kill: () => void = () => undefined;
  private over = false;
  private readonly frozen: ((err: Error) => void)[] = [];

  constructor(readonly plan: Plan) {}

  revive(): number {
    this.life++;
    this.dead = false;
    this.death = new Promise((resolve) => (this.kill = () => resolve('killed')));
    return this.life;
  }

  /** Someone else appends (policy, probes): the sink must tell log events apart by their content, not their seq. */
  other(): void {
    this.spool.push({ seq: this.lastSeq() + 1, time: '2026-11-20T00:00:00.000Z', kind: 'probe', data: {} });
  }

  lastSeq(): number {
    return this.spool.at(-1)?.seq ?? 0;
  }

  step(what: string, life: number): 'ok' | 'fail' | 'dead' {
    if (this.dead || life !== this.life) return 'dead';
    const n = ++this.ops;
    const fault = this.plan.get(n);
    this.trace.push(`${n}:${what}${fault ? '!' + fault : ''}`);
    if (fault === 'crash') {
      this.dead = true;
      this.kill();
      return 'dead';
    }
    return fault === 'fail' ? 'fail' : 'ok';
  }

  /** A killed agent's I/O: never settles while the scenario runs, so nothing after it happens. */
  hang<T>(): Promise<T> {
    if (this.over) return Promise.reject(killed());
    return new Promise<T>((_, reject) => this.frozen.push(reject));
  }

  /**
   * The scenario is over: the killed agents' I/O now fails, so their tailers finish and close their files. Nothing
   * they do is durable any more (their steps are all 'dead').
   */
  end(): void {
    this.over = true;
    for (const reject of this.frozen.splice(0)) reject(killed());
  }

  append(life: number, input: SpoolInput[], cursor: TailCursor): Promise<void> {
    const s = this.step(`append@${cursor.position.offset}`, life);
    if (s === 'dead') return this.hang();
    if (s === 'fail') return Promise.reject(new Error('EIO: spool write failed'));
    const stored = input.map((e, i): WireEvent => ({ ...e, seq: this.lastSeq() + i + 1 }));
    this.spool.push(...stored);
    this.cursor = JSON.parse(JSON.stringify(cursor)) as TailCursor;
    return Promise.resolve();
  }
}

/** One agent process: a sink and a tailer resuming from the world's spool, its appends as durable steps. */
function agent(w: World, logPath: string, setup: Setup) {
  const life = w.revive();
  const sink = new LogSink({
    offsetMinutes: 0,
    commit: (input, cursor) => w.append(life, input, cursor),
    resume: w.cursor,
    log: pino({ level: 'silent' }),
  });
  // Another source of this run appends too: log events are told apart by their content, not their seq.
  w.other();
  const errors: string[] = [];
  const tailer = new LogTailer({
    path: logPath,
    sink,
    start: sink.position,
    // Polls are driven by pollNow() only.
    pollMs: 1e9,
    chunkBytes: setup.chunkBytes,
    maxInFlight: setup.maxInFlight,
    onReport: (r) => {
      if (r.kind === 'error') errors.push(r.error.message);
    },
  });
  return { tailer, errors };
}

/** The log events of a spool, without their seqs (an interrupted run numbers them differently). */
const logEventsOf = (spool: WireEvent[]) =>
  spool.filter(isLogEvent).map((e) => JSON.stringify([e.kind, e.time, e.data]));

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-log-sink-faults-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs agents over a fresh copy of the log until one gets through its polls without being killed: each killed
 * agent is replaced by a new one on the same state dir and spool, as is each one stopped after a failed poll
 * (`onError: 'restart'`). Eight polls per agent: more than the faults of any plan, so the last agent gets through
 * with polls to spare. Returns the log events spooled and the numbered steps.
 */
async function scenario(root: string, plan: Plan, setup: Setup, maxLives = 20, polls = 8) {
  const dir = await mkdtemp(join(root, 's-'));
  const logPath = join(dir, 'WindowsUpdate.log');
  await writeFile(logPath, LOG_TEXT);
  const w = new World(plan);
  const runs: Promise<unknown>[] = [];
  let finished = false;
  try {
    for (let i = 0; i < maxLives && !finished; i++) {
      const { tailer, errors } = agent(w, logPath, setup);
      const run = (async () => {
        await tailer.start();
        for (let p = 0; p < polls; p++) {
          await tailer.pollNow();
          if (setup.onError === 'restart' && errors.length > 0) break;
        }
        await tailer.stop();
        return errors.length > 0 && setup.onError === 'restart' ? 'restart' : 'done';
      })();
      runs.push(run);
      finished = (await Promise.race([run, w.death])) === 'done';
    }
  } finally {
    // Let the killed agents' tailers finish (their I/O now fails) so every file handle is closed.
    w.end();
    await Promise.allSettled(runs);
    await rm(dir, { recursive: true, force: true });
  }
  return { events: logEventsOf(w.spool), trace: w.trace, finished };
}

// Uninterrupted runs, one per chunk size and chunks in flight: what every faulty run must end with.
const baselines = new Map<string, Promise<string[]>>();
function baseline(root: string, setup: Setup): Promise<string[]> {
  const key = `${setup.chunkBytes}/${setup.maxInFlight}`;
  let want = baselines.get(key);
  if (want === undefined) {
    want = scenario(root, new Map(), setup, 1).then((r) => r.events);
    baselines.set(key, want);
  }
  return want;
}

/** Null if `got` is `want`; otherwise what is missing, repeated or out of order. */
function difference(got: string[], want: string[]): string | null {
  if (got.length === want.length && got.every((k, i) => k === want[i])) return null;
  const count = (a: string[]) => a.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  const g = count(got);
  const wc = count(want);
  let missing = 0;
  let repeated = 0;
  for (const [k, n] of wc) missing += Math.max(0, n - (g.get(k) ?? 0));
  for (const [k, n] of g) repeated += Math.max(0, n - (wc.get(k) ?? 0));
  let firstDiff = 0;
  while (firstDiff < got.length && got[firstDiff] === want[firstDiff]) firstDiff++;
  return `${missing} missing, ${repeated} repeated, ${got.length}/${want.length} events, first difference at ${firstDiff}`;
}

const describePlan = (plan: Plan) => [...plan].map(([n, f]) => `${f}@${n}`).join(' ');

/** Runs the cases (eight at a time: a run spends much of its time in file I/O) and asserts none went wrong. */
async function expectExactlyOnce(t: ExecutionContext, cases: { plan: Plan; setup: Setup }[]): Promise<void> {
  const root = await tempDir(t);
  const bad: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const { plan, setup } = cases[next++]!;
      const want = await baseline(root, setup);
      const { events, trace, finished } = await scenario(root, plan, setup);
      const diff = difference(events, want) ?? (finished ? null : 'no agent got through its polls');
      if (diff !== null) {
        const what = `${describePlan(plan)} (chunk ${setup.chunkBytes}, ${setup.maxInFlight} in flight, ${setup.onError}): ${diff}; steps ${trace.join(' ')}`;
        bad.push(what);
        t.log(what);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  t.deepEqual(bad, [], `${bad.length} of ${cases.length} runs did not spool every log event once, in order`);
}

const FAULTS: Fault[] = ['fail', 'crash'];

function singles(setup: Setup) {
  return Array.from({ length: FIRST_STEPS }, (_, i) =>
    FAULTS.map((f) => ({ plan: new Map([[i + 1, f]]), setup })),
  ).flat();
}

/** A small seeded PRNG (mulberry32): the same sample and the same random runs every time. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('a single failed or crashed durable step, retried in-process: every log event spooled once, in order', async (t) => {
  await expectExactlyOnce(t, singles(DEFAULT_SETUP));
});

test('a single failed or crashed durable step, the agent stopped and restarted after a failed poll: every log event once', async (t) => {
  await expectExactlyOnce(t, singles({ ...DEFAULT_SETUP, onError: 'restart' }));
});

// All 2400 pairs take about 15 s on two cores, over this file's budget: a fixed sample of PAIR_SAMPLE of them runs
// (seeded, so a failure comes back on the next run); WUWATCH_FAULT_PAIRS=all runs every pair.
const PAIR_SAMPLE = 1000;

test('two faults among the first durable steps, retried or restarted: every log event spooled once, in order', async (t) => {
  const cases: { plan: Plan; setup: Setup }[] = [];
  for (const onError of ['retry', 'restart'] as const)
    for (let i = 1; i <= FIRST_STEPS; i++)
      for (let j = i + 1; j <= FIRST_STEPS + 1; j++)
        for (const fi of FAULTS)
          for (const fj of FAULTS)
            cases.push({
              plan: new Map([
                [i, fi],
                [j, fj],
              ]),
              setup: { ...DEFAULT_SETUP, onError },
            });
  if (process.env.WUWATCH_FAULT_PAIRS !== 'all') {
    // Fisher-Yates with a fixed seed: the same sample on every run.
    const random = mulberry32(17);
    for (let k = cases.length - 1; k > 0; k--) {
      const r = Math.floor(random() * (k + 1));
      [cases[k], cases[r]] = [cases[r]!, cases[k]!];
    }
    cases.splice(PAIR_SAMPLE);
  }
  await expectExactlyOnce(t, cases);
});

test('random runs of up to five faults, 1 to 3 chunks in flight, varying chunk sizes (fixed seed): every log event once', async (t) => {
  const random = mulberry32(20261120);
  const cases = Array.from({ length: 300 }, () => {
    const setup: Setup = {
      chunkBytes: 700 + Math.floor(random() * 9000),
      maxInFlight: 1 + Math.floor(random() * 3),
      onError: random() < 0.3 ? 'restart' : 'retry',
    };
    const plan = new Map<number, Fault>();
    const faults = 1 + Math.floor(random() * 5);
    for (let k = 0; k < faults; k++) plan.set(1 + Math.floor(random() * 60), random() < 0.5 ? 'fail' : 'crash');
    return { plan, setup };
  });
  await expectExactlyOnce(t, cases);
});

// Small chunks (a few lines each) make many more durable steps per run: faults land inside cycles, between the two
// events of a cycle's chunk and its cursor, and among up to three chunks in flight.
test('small chunks, single faults retried or restarted, and random runs: every log event once', async (t) => {
  const small: Setup = { ...DEFAULT_SETUP, chunkBytes: 300 };
  const random = mulberry32(20261206);
  const randomRuns = Array.from({ length: 80 }, () => {
    const setup: Setup = {
      chunkBytes: 300 + Math.floor(random() * 900),
      maxInFlight: 1 + Math.floor(random() * 3),
      onError: random() < 0.3 ? 'restart' : 'retry',
    };
    const plan = new Map<number, Fault>();
    const faults = 1 + Math.floor(random() * 5);
    for (let k = 0; k < faults; k++) plan.set(1 + Math.floor(random() * 80), random() < 0.5 ? 'fail' : 'crash');
    return { plan, setup };
  });
  await expectExactlyOnce(t, [...singles(small), ...singles({ ...small, onError: 'restart' }), ...randomRuns]);
});
