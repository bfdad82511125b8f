/**
 * The refresh service: the one way a machine's status changes. Every entry point (a batch from the ingest, a hello,
 * the clock's sweep) goes load facts (repository) → pure status rules (status/rules.ts) → save (repository) → emit
 * the change to listeners once the transaction has committed, so the alert evaluator never reads a status that may
 * still roll back.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Hello } from '@wuwatch/core';
import { toJsonbText, type Database, type Queryable } from '../db/index.js';
import { computeStatus } from '../status/rules.js';
import type { MachineStatus, StatusThresholds, StatusVerdict } from '../status/types.js';
import { deriveProjection, type MachineProjection } from './projection.js';
import { saveMachines, saveWsusServers, upsertHellos } from './bulk.js';
import {
  lockMachine,
  markDisconnected,
  saveMachine,
  saveWsusServer,
  sweepCandidates,
  touchConnected,
  upsertHello,
  type HelloRow,
} from './repository.js';
import { rowToProjection, toFacts, type MachineStateRow } from './row.js';

/** A machine whose status changed. */
export interface MachineChange {
  machineId: string;
  before: string;
  after: MachineStatus;
}

/** What a settle did: the machine, its status before, the verdict now stored. */
export interface Settled {
  machineId: string;
  before: string;
  verdict: StatusVerdict;
}

/** How a settle treats the row: `seen` moves last_seen (the agent spoke), `connected` is what the rules assume. */
export interface SettleOptions {
  now: Date;
  seen: boolean;
  connected: boolean;
}

/**
 * Runs the status rules over a locked row and its (possibly new) projection and stores both, in the caller's
 * transaction; the `wsus_servers` projection is written only when the pointer or the probe moved. The projection's
 * derived part (update sources, the detections that count) is derived here with the machine's OS version, so a
 * policy or an OS that changed re-decides which scans count.
 */
export async function settleMachine(
  q: Queryable,
  row: MachineStateRow,
  folded: MachineProjection,
  thresholds: StatusThresholds,
  opts: SettleOptions,
): Promise<Settled> {
  const projection = deriveProjection(folded, row.os_version);
  const verdict = computeStatus(toFacts(row, projection, opts.now, opts.connected), thresholds);
  await saveMachine(q, row, projection, verdict, opts.now, opts.seen);
  if (projection.lastProbeAt?.getTime() !== row.lastProbeAt?.getTime() || projection.wsusUrl !== row.wsusUrl) {
    await saveWsusServer(q, projection, opts.now);
  }
  return { machineId: row.id, before: row.status, verdict };
}

/** One machine of {@link settleMachines}: its locked row, its (possibly new) projection, and how to treat it. */
export interface SettleItem {
  row: MachineStateRow;
  projection: MachineProjection;
  seen: boolean;
  connected: boolean;
}

/**
 * {@link settleMachine} for many machines at once (the ingest's group commit): the same rules per machine, one
 * statement for all rows and one for the `wsus_servers` rows whose pointer or probe moved.
 */
export async function settleMachines(
  q: Queryable,
  items: readonly SettleItem[],
  thresholds: StatusThresholds,
  now: Date,
): Promise<Settled[]> {
  const saves = items.map((i) => {
    // Derived per machine exactly as settleMachine does (update sources, the scans that count).
    const projection = deriveProjection(i.projection, i.row.os_version);
    return {
      row: i.row,
      projection,
      seen: i.seen,
      verdict: computeStatus(toFacts(i.row, projection, now, i.connected), thresholds),
    };
  });
  await saveMachines(q, saves, now);
  const moved = saves.filter(
    (s) =>
      s.projection.lastProbeAt?.getTime() !== s.row.lastProbeAt?.getTime() || s.projection.wsusUrl !== s.row.wsusUrl,
  );
  await saveWsusServers(
    q,
    moved.map((s) => s.projection),
    now,
  );
  return saves.map((s) => ({ machineId: s.row.id, before: s.row.status, verdict: s.verdict }));
}

/** What a hello did: the machine, the seq to resume after, and the status change it caused (if any). */
export interface HelloResult {
  machineId: string;
  ackedSeq: number;
  change: MachineChange | null;
}

/** Re-evaluates one machine's stored facts inside a transaction (nothing new arrived; the clock or a hello moved). */
export async function refreshMachineStatus(
  q: Queryable,
  agentId: string,
  thresholds: StatusThresholds,
  now: Date = new Date(),
): Promise<Settled | null> {
  const row = await lockMachine(q, agentId);
  if (!row) return null;
  return settleMachine(q, row, rowToProjection(row), thresholds, { now, seen: false, connected: row.connected });
}

/** True when the stored status and reasons already are `verdict` (compared as stored JSON, key order aside). */
export function verdictUnchanged(row: HelloRow, verdict: StatusVerdict): boolean {
  return (
    row.status === verdict.status && isDeepStrictEqual(row.status_reasons, JSON.parse(toJsonbText(verdict.reasons)))
  );
}

/**
 * True when deriving left the stored projection as it is (compared as stored JSON, so dates and key order aside).
 * A hello may bring a new OS version: the update sources it derives must be saved even when the status stays.
 */
export function projectionUnchanged(stored: MachineProjection, derived: MachineProjection): boolean {
  return derived === stored || isDeepStrictEqual(JSON.parse(toJsonbText(stored)), JSON.parse(toJsonbText(derived)));
}

/** The change a settle made, or null when the status stayed. */
export function changeOf(s: Settled | null): MachineChange | null {
  return s && s.before !== s.verdict.status
    ? { machineId: s.machineId, before: s.before, after: s.verdict.status }
    : null;
}

/** Called after commit with the machines whose status changed (never with an empty list). */
export type MachineChangeListener = (changes: MachineChange[]) => void;

/** The machines module's service: hello, disconnect, the clock's sweep, and change notification. */
export class MachineService {
  private readonly listeners = new Set<MachineChangeListener>();

  constructor(
    private readonly db: Database,
    readonly thresholds: StatusThresholds,
  ) {}

  /** Subscribes to status changes; returns the unsubscribe function. */
  onChange(listener: MachineChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells listeners about committed changes (the ingest calls it after its transaction). */
  emit(changes: readonly (MachineChange | null)[]): void {
    const real = changes.filter((c): c is MachineChange => c !== null);
    if (real.length === 0) return;
    for (const l of this.listeners) l(real);
  }

  /**
   * Registers (or refreshes) the machine behind an agent at hello. A machine that was silent is back: its status
   * must not wait for its next event, nor a new OS version's update sources. Most reconnects change nothing, though,
   * and in a reconnect storm each skipped locked refresh is four statements saved.
   */
  async hello(agentId: string, hello: Hello, now: Date = new Date()): Promise<{ machineId: string; ackedSeq: number }> {
    const { row, ackedSeq } = await upsertHello(this.db, agentId, hello);
    // Derived as a settle would: the hello may bring a new OS version, which can change the update sources and the
    // scans that count even when the status stays; either change is saved now, not at the next batch.
    const stored = rowToProjection(row);
    const derived = deriveProjection(stored, row.os_version);
    const verdict = computeStatus(toFacts(row, derived, now, true), this.thresholds);
    if (!verdictUnchanged(row, verdict) || !projectionUnchanged(stored, derived)) {
      const settled = await this.db.withTransaction((tx) => refreshMachineStatus(tx, agentId, this.thresholds, now));
      this.emit([changeOf(settled)]);
    }
    return { machineId: row.id, ackedSeq };
  }

  /**
   * {@link MachineService.hello} for many agents inside the caller's transaction (the ingest's group commit): one
   * upsert for all, one save for the machines whose verdict or derived projection moved. The caller emits the changes
   * after commit.
   */
  async helloMany(
    q: Queryable,
    hellos: readonly { agentId: string; hello: Hello }[],
    now: Date = new Date(),
  ): Promise<Map<string, HelloResult>> {
    const upserted = await upsertHellos(q, hellos);
    const stale: SettleItem[] = [];
    for (const { row } of upserted.values()) {
      // Derived as a settle would (see hello): a new OS version can change the update sources and the scans that
      // count even when the status stays.
      const stored = rowToProjection(row);
      const derived = deriveProjection(stored, row.os_version);
      const verdict = computeStatus(toFacts(row, derived, now, true), this.thresholds);
      if (!verdictUnchanged(row, verdict) || !projectionUnchanged(stored, derived)) {
        stale.push({ row, projection: stored, seen: false, connected: true });
      }
    }
    const settled = new Map(
      (await settleMachines(q, stale, this.thresholds, now)).map((s) => [s.machineId, changeOf(s)]),
    );
    const out = new Map<string, HelloResult>();
    for (const [agentId, { row, ackedSeq }] of upserted) {
      out.set(agentId, { machineId: row.id, ackedSeq, change: settled.get(row.id) ?? null });
    }
    return out;
  }

  /** Marks a machine disconnected; `graceful` records that the agent said goodbye first. */
  async disconnect(agentId: string, graceful: boolean): Promise<void> {
    await markDisconnected(this.db, agentId, graceful);
  }

  /** Refreshes last_seen of the agents connected to this collector. */
  async touch(agentIds: readonly string[], now: Date = new Date()): Promise<void> {
    // A third of the silence threshold: a connected agent's last_seen lags by at most that, never near "silent".
    const seenBefore = new Date(now.getTime() - (this.thresholds.silentAfterMinutes * 60_000) / 3);
    await touchConnected(this.db, agentIds, now, seenBefore);
  }

  /**
   * Re-evaluates the machines whose status the clock alone may have changed (silence, staleness), each in its own
   * transaction; returns (and emits) the changed ones.
   */
  async sweep(now: Date = new Date()): Promise<MachineChange[]> {
    const changed: MachineChange[] = [];
    for (const agentId of await sweepCandidates(this.db, this.thresholds, now)) {
      const c = changeOf(
        await this.db.withTransaction((tx) => refreshMachineStatus(tx, agentId, this.thresholds, now)),
      );
      if (c) changed.push(c);
    }
    this.emit(changed);
    return changed;
  }
}
