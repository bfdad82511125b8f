/**
 * The fleet: WSUS stand-ins on 127.0.0.1, then the scenario's machines with their real agents, spread over
 * shards (this process for small fleets, forked workers for large ones), plus the scenario's timed roles:
 * silent machines lose their link, newcomers keep joining. Everything lives in a temp work directory that
 * `stop()` removes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeError } from '@wuwatch/core';
import { createEnrollSecret } from '../collector-api.js';
import { machinePlan, planFleet, type FleetPlan, type MachinePlan } from '../scenario/plan.js';
import type { Scenario } from '../scenario/schema.js';
import { DEFAULT_TIME_SCALE, checkTimeScale, realMsFor } from '../time/scale.js';
import { startWsusStandin, type WsusStandin } from '../wsus/standins.js';
import { inProcessShard, workerShard, type ShardHandle } from './handles.js';
import { startRelay, type Relay } from './relay.js';
import type { ShardMachine, ShardOptions } from './shard.js';

/** Options of {@link startFleet}. */
export interface FleetOptions {
  collectorUrl: string;
  /** An enrollment secret, or an admin token to create one with (one of the two is required). */
  enrollSecret?: string;
  adminToken?: string;
  scenario: Scenario;
  /** Machines at the start (default: the scenario's nominal size). */
  agents?: number;
  /** Simulated seconds per real second (default {@link DEFAULT_TIME_SCALE}: 22 h in 20 s). */
  timeScale?: number;
  /** Worker processes; 0 runs every agent in this process. Default: 0 up to 250 agents, then one per 750 (max 8). */
  workers?: number;
  /** Parent of the run's temp work directory (default the OS temp dir). */
  tmpRoot?: string;
  seed?: number;
  /** Agents' log level (default silent); their logs go to stderr. */
  logLevel?: string;
  onProgress?(up: number, total: number): void;
  /** Timed scenario events, for the operator. */
  onEvent?(e: FleetEvent): void;
  /** Aborting while the fleet comes up stops it; `startFleet` then resolves with the stopped fleet. */
  signal?: AbortSignal;
}

/** Something the scenario did while running. */
export type FleetEvent =
  | { type: 'silenced'; hostname: string }
  | { type: 'joined'; hostname: string }
  | { type: 'worker_exit'; code: number | null };

/** A running simulated fleet. */
export interface Fleet {
  readonly workDir: string;
  readonly plan: FleetPlan;
  /** Every machine started so far (newcomers included). */
  readonly machines: readonly MachinePlan[];
  readonly standins: ReadonlyMap<string, WsusStandin>;
  /** Real milliseconds one simulated detection interval lasts. */
  readonly intervalMs: number;
  readonly timeScale: number;
  /** Stops the agents, the stand-ins and the relays, and removes the work directory. Idempotent. */
  stop(): Promise<void>;
}

/** Worker count for a fleet size when none is given. */
export function autoWorkers(agents: number): number {
  return agents <= 250 ? 0 : Math.min(8, Math.ceil(agents / 750));
}

/** Starts a simulated fleet against a running collector. */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const timeScale = opts.timeScale ?? DEFAULT_TIME_SCALE;
  const scaleProblem = checkTimeScale(timeScale);
  if (scaleProblem) throw makeError('CONFIG_INVALID', [scaleProblem]);
  const plan = planFleet(opts.scenario, opts.agents);
  let secret = opts.enrollSecret;
  if (!secret) {
    if (!opts.adminToken) throw makeError('CONFIG_INVALID', ['give an enrollment secret or an admin token']);
    secret = await createEnrollSecret(opts.collectorUrl, opts.adminToken, `wuwatch-simulate ${opts.scenario.name}`);
  }
  const intervalMs = realMsFor(opts.scenario.detectionIntervalHours, timeScale);
  const workDir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'wuwatch-sim-'));
  const standins = new Map<string, WsusStandin>();
  const relays: Relay[] = [];
  const timers: NodeJS.Timeout[] = [];
  const machines: MachinePlan[] = [];
  const handles: ShardHandle[] = [];
  let up = 0;
  let total = plan.machines.length;
  let stopping: Promise<void> | null = null;

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const t of timers) clearInterval(t);
      await Promise.all(handles.map((h) => h.stop()));
      await Promise.all(relays.map((r) => r.cut()));
      await Promise.all([...standins.values()].map((s) => s.close()));
      await rm(workDir, { recursive: true, force: true });
    })());

  const relayOf = new Map<string, Relay>();
  const byHost = new Map<string, MachinePlan>();
  const onUp = (hostname: string) => {
    up++;
    opts.onProgress?.(up, total);
    const m = byHost.get(hostname);
    if (m?.role === 'silent') {
      const relay = relayOf.get(hostname);
      const t = setTimeout(() => {
        void relay?.cut().then(() => opts.onEvent?.({ type: 'silenced', hostname }));
      }, m.silentAfterSeconds * 1000);
      timers.push(t);
    }
  };

  const fleet: Fleet = { workDir, plan, machines, standins, intervalMs, timeScale, stop };
  // Aborting during bring-up stops the shards' start loops; the resources created so far are released below.
  let aborted = opts.signal?.aborted === true;
  const abort = () => {
    aborted = true;
    for (const h of handles) void h.stop();
  };
  opts.signal?.addEventListener('abort', abort);
  try {
    for (const w of opts.scenario.wsusServers) {
      if (!aborted) standins.set(w.name, await startWsusStandin(w.behaviour));
    }
    const shardOptions: ShardOptions = {
      enrollSecret: secret,
      workDir,
      timeScale,
      intervalHours: opts.scenario.detectionIntervalHours,
      seed: opts.seed ?? 1,
      logLevel: opts.logLevel ?? 'silent',
      startConcurrency: 8,
      // Polling and probing are real work per agent: large fleets do less of it, so one host can run thousands.
      tailMs: plan.machines.length > 500 ? 2000 : 1000,
      probeSeconds: Math.max(30, Math.ceil(plan.machines.length / 20)),
    };
    const workers = opts.workers ?? autoWorkers(plan.machines.length);
    if (!aborted && workers === 0) handles.push(inProcessShard(shardOptions, { onUp }));
    for (let i = 0; i < workers && !aborted; i++) {
      handles.push(
        workerShard(shardOptions, { onUp, onExit: (code) => opts.onEvent?.({ type: 'worker_exit', code }) }),
      );
    }
    const toShard = async (m: MachinePlan): Promise<ShardMachine> => {
      machines.push(m);
      byHost.set(m.hostname, m);
      let collectorUrl = opts.collectorUrl;
      if (m.role === 'silent') {
        const relay = await startRelay(opts.collectorUrl);
        relays.push(relay);
        relayOf.set(m.hostname, relay);
        collectorUrl = relay.url;
      }
      const wsusUrl = m.policy.kind === 'wsus' ? (standins.get(m.policy.server)?.url ?? null) : null;
      return { plan: m, wsusUrl, collectorUrl };
    };
    if (!aborted) {
      // Small groups (the special machines) come up first, so every status shows early even in a large fleet.
      const size = new Map<string, number>();
      for (const m of plan.machines) size.set(m.group, (size.get(m.group) ?? 0) + 1);
      const order = [...plan.machines].sort((a, b) => size.get(a.group)! - size.get(b.group)!);
      const batches: ShardMachine[][] = handles.map(() => []);
      for (const [i, m] of order.entries()) batches[i % handles.length]!.push(await toShard(m));
      await Promise.all(handles.map((h, i) => h.add(batches[i]!)));
    }
    if (!aborted) scheduleNewcomers(toShard);
  } catch (err) {
    if (!aborted) {
      await stop();
      throw err;
    }
  } finally {
    opts.signal?.removeEventListener('abort', abort);
  }
  if (aborted) await stop();
  return fleet;

  function scheduleNewcomers(toShard: (m: MachinePlan) => Promise<ShardMachine>): void {
    let next = 0;
    for (const g of plan.newcomerGroups) {
      let joined = 0;
      let n = machines.filter((m) => m.group === g.name).length;
      const addNewcomer = () => {
        if (stopping || (g.maxJoins !== undefined && joined >= g.maxJoins)) return;
        joined++;
        total++;
        const m = machinePlan(opts.scenario, g, ++n);
        const handle = handles[next++ % handles.length]!;
        void toShard(m)
          .then((sm) => handle.add([sm]))
          .then(() => opts.onEvent?.({ type: 'joined', hostname: m.hostname }))
          .catch(() => undefined);
      };
      timers.push(setInterval(addNewcomer, g.joinEveryIntervals * intervalMs));
    }
  }
}
