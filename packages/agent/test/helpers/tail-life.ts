// One life of an agent's log tail on a real spool on disk (the agent's wiring: spool, LogSink, LogTailer), which a
// test can kill right before or right after the n-th spool append: nothing that life does afterwards reaches the
// disk, as with a process killed at that instant (what write() handed to the OS stays, as it does after a kill).
import { join } from 'node:path';
import pino from 'pino';
import { LogSink } from '../../src/runtime/log-sink.js';
import { TAIL_CURSOR_KEY, tailCursorFrom, type TailCursor } from '../../src/runtime/tail-cursor.js';
import { isLogEvent } from '../../src/runtime/to-events.js';
import { Spool, type SpoolInput } from '../../src/spool/index.js';
import { LogTailer } from '../../src/tail/index.js';

/** When to kill a life: right before or right after its n-th spool append (1-based). */
export interface KillPlan {
  before?: number;
  after?: number;
}

/** Options of a life's tailer. */
export interface LifeOptions {
  chunkBytes?: number;
  maxInFlight?: number;
  segmentBytes?: number;
}

const killed = () => new Error('the agent was killed');

/** One agent life: open the spool, resume the tail from its cursor, poll until stopped or killed. */
export class TailLife {
  /** Appends this life made (the last one may be the one it was killed at). */
  appends = 0;
  /** The spool's bytes on disk before the latest append (to tear it in a test). */
  diskBefore = 0;
  private dead = false;
  private readonly frozen: ((err: Error) => void)[] = [];
  private kill: () => void = () => undefined;
  /** Settles when the life is killed. */
  readonly death: Promise<'killed'> = new Promise((resolve) => (this.kill = () => resolve('killed')));
  readonly tailer: LogTailer;

  private constructor(
    readonly spool: Spool,
    logPath: string,
    /** When to kill this life; may be changed between polls. */
    public plan: KillPlan,
    options: LifeOptions,
  ) {
    const { cursor, problem } = tailCursorFrom(spool.cursor(TAIL_CURSOR_KEY));
    if (problem !== null) throw problem;
    const sink = new LogSink({
      offsetMinutes: 0,
      commit: (events, c) => this.commit(events, c),
      resume: cursor,
      log: pino({ level: 'silent' }),
    });
    this.tailer = new LogTailer({
      path: logPath,
      sink,
      start: sink.position,
      pollMs: 1e9, // polls are driven by the test
      chunkBytes: options.chunkBytes ?? 4096,
      maxInFlight: options.maxInFlight ?? 2,
    });
  }

  /** Opens the spool in `stateDir` and starts a tail of `logPath` (its first poll is queued). */
  static async start(stateDir: string, logPath: string, plan: KillPlan = {}, options: LifeOptions = {}) {
    const spool = await Spool.open({ dir: join(stateDir, 'spool'), segmentBytes: options.segmentBytes ?? 64 * 1024 });
    const life = new TailLife(spool, logPath, plan, options);
    await life.tailer.start();
    return life;
  }

  /** True once killed. */
  get killed(): boolean {
    return this.dead;
  }

  /** One poll, or the kill that ends it. */
  async poll(): Promise<'ok' | 'killed'> {
    if (this.dead) return 'killed';
    return Promise.race([this.tailer.pollNow().then(() => 'ok' as const), this.death]);
  }

  /** A clean stop: the tail, then the spool. */
  async stop(): Promise<void> {
    await this.tailer.stop();
    await this.spool.close();
  }

  /** After a kill: the dead life's hung calls fail now, so its tailer finishes and lets go of its file. */
  async bury(): Promise<void> {
    for (const reject of this.frozen.splice(0)) reject(killed());
    await this.tailer.stop().catch(() => undefined);
  }

  private die(): Promise<never> {
    if (!this.dead) {
      this.dead = true;
      this.kill();
    }
    return new Promise<never>((_, reject) => this.frozen.push(reject));
  }

  private async commit(events: SpoolInput[], cursor: TailCursor): Promise<void> {
    if (this.dead) return this.die();
    const n = ++this.appends;
    if (this.plan.before === n) return this.die();
    this.diskBefore = this.spool.diskBytes;
    await this.spool.append(events, { key: TAIL_CURSOR_KEY, value: cursor });
    if (this.plan.after === n) return this.die();
  }
}

/** The log events in the spool of `stateDir`, without their seqs, in order, each as one comparable string. */
export async function spooledLogEvents(stateDir: string): Promise<string[]> {
  const spool = await Spool.open({ dir: join(stateDir, 'spool'), segmentBytes: 64 * 1024 });
  try {
    const out: string[] = [];
    for (let after = 0; ;) {
      const batch = await spool.peek(after, 1000, 16 * 1024 * 1024);
      if (batch.length === 0) return out;
      for (const e of batch) if (isLogEvent(e)) out.push(JSON.stringify([e.kind, e.time, e.data]));
      after = batch[batch.length - 1]!.seq;
    }
  } finally {
    await spool.close();
  }
}
