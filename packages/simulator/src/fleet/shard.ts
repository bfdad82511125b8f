/**
 * A shard: some simulated machines and their real agents in one event loop. The fleet runs one shard in-process
 * for small fleets, or one per worker process for large ones. Each machine has its own simulate directory and
 * state directory (token, tail checkpoint, event positions, spool) under the run's work directory.
 */
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Agent, createSources, ensureEnrolled, loadAgentConfig, RecordingRunner } from '../agent-api.js';
import { SimMachine } from '../machine/machine.js';
import type { MachinePlan } from '../scenario/plan.js';
import { seededRandom, seedFor } from '../time/random.js';
import { realMsFor } from '../time/scale.js';

/** Settings shared by every machine of a run (plain data: sent to worker processes). */
export interface ShardOptions {
  enrollSecret: string;
  workDir: string;
  timeScale: number;
  intervalHours: number;
  seed: number;
  /** Agents' log level (pino); their logs go to stderr. */
  logLevel: string;
  /** Agents enrolled and started at once while the fleet comes up. */
  startConcurrency: number;
  /** How often each agent polls its log, ms. */
  tailMs: number;
  /** How often each agent probes its WSUS server, real seconds. */
  probeSeconds: number;
}

/** One machine to run: its plan, its WSUS stand-in's URL and the URL its agent talks to. */
export interface ShardMachine {
  plan: MachinePlan;
  wsusUrl: string | null;
  collectorUrl: string;
}

/** What a shard reports. */
export interface ShardEvents {
  onUp(hostname: string): void;
}

const SCHEDULER_TICK_MS = 200;
const ENROLL_ATTEMPTS = 3;

interface Running {
  machine: SimMachine;
  agent: Agent;
  busy: boolean;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Runs machines and their agents; writes detection cycles when they fall due. */
export class Shard {
  private readonly running: Running[] = [];
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private adding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opts: ShardOptions,
    private readonly events: ShardEvents,
  ) {
    this.log = pino({ level: opts.logLevel, base: { service: 'wuwatch-simulate' } }, pino.destination(2));
  }

  /** Machines started so far. */
  get size(): number {
    return this.running.length;
  }

  /** Prepares, enrolls and starts machines, a few at a time; rejects (after the others settle) if one cannot start. */
  async add(machines: readonly ShardMachine[]): Promise<void> {
    this.timer ??= setInterval(() => this.tick(), SCHEDULER_TICK_MS);
    const queue = [...machines];
    let failed = false;
    const worker = async (): Promise<void> => {
      for (let m = queue.shift(); m !== undefined && !this.stopping && !failed; m = queue.shift()) {
        try {
          this.running.push(await this.startOne(m));
        } catch (err) {
          failed = true;
          throw err;
        }
        this.events.onUp(m.plan.hostname);
      }
    };
    const settled = Promise.allSettled(Array.from({ length: Math.max(1, this.opts.startConcurrency) }, worker));
    this.adding = Promise.all([this.adding, settled]);
    const error = (await settled).find((r) => r.status === 'rejected');
    if (error) throw error.reason;
  }

  private agentOverrides(m: ShardMachine, dir: string): Record<string, unknown> {
    const intervalS = realMsFor(this.opts.intervalHours, this.opts.timeScale) / 1000;
    return {
      collectorUrl: m.collectorUrl,
      stateDir: join(dir, 'state'),
      simulateDir: dir,
      hostname: m.plan.hostname,
      logLevel: this.opts.logLevel,
      intervals: {
        tailMs: this.opts.tailMs,
        policySeconds: 300,
        probeSeconds: this.opts.probeSeconds,
        probeMaxBackoffSeconds: Math.max(120, this.opts.probeSeconds),
        // Compressed-time sources are read a few times per simulated interval; the probe is real network time.
        wuaSeconds: clamp(intervalS, 2, 600),
        eventSeconds: clamp(intervalS / 4, 1, 30),
      },
      probeTimeouts: { dnsMs: 2000, tcpMs: 2000, tlsMs: 2000, httpMs: 3000 },
      spoolMaxBytes: 32 * 1024 * 1024,
      reconnect: { baseMs: 1000, capMs: 30_000 },
    };
  }

  private async startOne(m: ShardMachine): Promise<Running> {
    const dir = join(this.opts.workDir, m.plan.hostname);
    const machine = new SimMachine(m.plan, {
      dir,
      wsusUrl: m.wsusUrl,
      intervalHours: this.opts.intervalHours,
      timeScale: this.opts.timeScale,
      random: seededRandom(seedFor(this.opts.seed, m.plan.hostname)),
    });
    await machine.prepare(Date.now());
    const config = loadAgentConfig({ env: {}, overrides: this.agentOverrides(m, dir) });
    const credentials = await this.enroll(m.collectorUrl, config.stateDir, m.plan.hostname);
    const sources = createSources({
      platform: 'simulate',
      simulateDir: dir,
      runner: new RecordingRunner(),
      stateDir: config.stateDir,
    });
    const agent = new Agent({
      config,
      credentials,
      sources,
      log: this.log.child({ host: m.plan.hostname }),
      logPath: machine.logPath,
      // Simulated logs are written in UTC, as `wuwatch-agent run --simulate` expects.
      logOffsetMinutes: 0,
      osVersion: m.plan.os,
    });
    await agent.start();
    return { machine, agent, busy: false };
  }

  private async enroll(collectorUrl: string, stateDir: string, hostname: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ensureEnrolled({ collectorUrl, enrollSecret: this.opts.enrollSecret, stateDir, hostname });
      } catch (err) {
        // A wrong secret will not get better; a collector busy with a thousand enrollments may.
        if ((err as { code?: string }).code === 'WUW_ENROLL_SECRET_INVALID' || attempt >= ENROLL_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const r of this.running) {
      const due = r.machine.nextCycleAt;
      if (r.busy || due === null || due > now) continue;
      r.busy = true;
      r.machine
        .runCycle(now)
        .catch((err: unknown) => this.log.error({ err, host: r.machine.plan.hostname }, 'writing a cycle failed'))
        .finally(() => (r.busy = false));
    }
  }

  /** Stops writing cycles and stops every agent (a graceful stop: each says goodbye). */
  async stop(drainMs = 2000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Machines being started finish starting first, so none is left running.
    await this.adding;
    await Promise.all(this.running.map((r) => r.agent.stop(drainMs).catch(() => undefined)));
  }
}
