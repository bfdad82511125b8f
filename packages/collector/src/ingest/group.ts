/**
 * Group commit for the agent endpoint. Every hello and every batch of every socket goes into one short queue; up to
 * `writers` transactions run at once, and each takes everything pending (at most `maxGroup` items, one per agent) into
 * one transaction: one statement per step for all of them, one commit (one WAL flush) instead of one per item. When
 * the database is idle a lone item is written at once; when it is busy the queue fills and the next transaction
 * carries more, so the cost per item falls as the load rises (a reconnect storm) instead of the queue growing.
 *
 * Acks and welcomes are answered after commit. What must stay per item does: an agent unknown or revoked fails only
 * its own item; if the database refuses the group's data (a case admission did not foresee) or the group loses a
 * deadlock, each item is written again on its own, and a batch the database still refuses goes through ingestBatch's
 * one-event-at-a-time quarantine — so one poison event quarantines itself, not its neighbours. Duplicates are refused
 * as before: by seq above the agent's acknowledged seq, under the agent's row lock, and by insertEvents' (agent, seq)
 * probe.
 */
import type { Hello } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import type { HelloResult, MachineChange, MachineService } from '../machines/refresh.js';
import { changeOf } from '../machines/refresh.js';
import type { PolicyAssessor } from '../machines/projection.js';
import type { Admission } from './admission.js';
import { ingestBatch, isDataRefusal, type IngestResult } from './ingest.js';
import { writeBatches } from './writer.js';

/** What the group writer needs. */
export interface GroupWriterDeps {
  db: Database;
  assessor: PolicyAssessor;
  machines: MachineService;
  /** Transactions at once (the writers' pool is sized to it). */
  writers: number;
  /** Items (hellos and batches) one transaction carries at most. */
  maxGroup: number;
  now?: () => Date;
}

interface Pending<T> {
  agentId: string;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}
type HelloJob = Pending<HelloResult> & { kind: 'hello'; hello: Hello };
type BatchJob = Pending<IngestResult> & { kind: 'batch'; admission: Admission };
type Job = HelloJob | BatchJob;

/**
 * Events one transaction carries at most (a lone larger batch still goes alone). Small frames (hellos, a probe) are
 * what the group commit is for; a backlog of full batches gains nothing from 64 × 500 events in one transaction: a
 * huge one keeps its writer, and its agents' acks, busy for seconds while the other writers idle. Measured with
 * bench:ingest at 400 agents × 500-event batches: a cap of 4,000 with 4 writers halved the throughput of one-batch
 * transactions; 2,000 (under db/events.ts COPY_THRESHOLD, so the single-INSERT path) with 8 writers matched it.
 */
const MAX_GROUP_EVENTS = 2000;

/** True for errors a transaction loses to another (deadlock, serialization): worth running the items apart. */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** Queues hellos and batches and writes them in shared transactions; see the module comment. */
export class GroupWriter {
  private readonly queue: Job[] = [];
  /** Agents whose item is in a running transaction: their next item waits (one transaction per agent at a time). */
  private readonly busyAgents = new Set<string>();
  private running = 0;
  /** Transactions committed and items they carried (metrics and tests). */
  readonly stats = { transactions: 0, items: 0, maxRunning: 0, maxGroup: 0 };

  constructor(private readonly deps: GroupWriterDeps) {}

  /** Registers the machine behind a hello; resolves after commit with the seq to resume after. */
  hello(agentId: string, hello: Hello): Promise<HelloResult> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'hello', agentId, hello, resolve, reject }));
  }

  /** Writes an admitted batch; resolves after commit with what to acknowledge. */
  batch(agentId: string, admission: Admission): Promise<IngestResult> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'batch', agentId, admission, resolve, reject }));
  }

  /** Items waiting for a transaction. */
  get queued(): number {
    return this.queue.length;
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.kick();
  }

  private kick(): void {
    while (this.running < this.deps.writers) {
      const group = this.take();
      if (group.length === 0) return;
      this.running++;
      this.stats.maxRunning = Math.max(this.stats.maxRunning, this.running);
      void this.run(group).finally(() => {
        for (const j of group) this.busyAgents.delete(j.agentId);
        this.running--;
        this.kick();
      });
    }
  }

  /** Takes up to maxGroup queued items of distinct agents not in a running transaction, oldest first. */
  private take(): Job[] {
    const group: Job[] = [];
    let events = 0;
    for (let i = 0; i < this.queue.length && group.length < this.deps.maxGroup;) {
      const job = this.queue[i]!;
      const size = job.kind === 'batch' ? job.admission.events.length + job.admission.quarantined.length : 1;
      if (this.busyAgents.has(job.agentId) || (group.length > 0 && events + size > MAX_GROUP_EVENTS)) {
        i++;
        continue;
      }
      events += size;
      this.busyAgents.add(job.agentId);
      group.push(job);
      this.queue.splice(i, 1);
    }
    return group;
  }

  private async run(group: Job[]): Promise<void> {
    try {
      await this.write(group);
    } catch (err) {
      if (group.length > 1 && (isDataRefusal(err) || isConflict(err))) {
        // Which item the database refused is unknown: each one alone, so the refusal stays with its own item.
        for (const job of group) await this.run([job]);
        return;
      }
      const job = group[0]!;
      if (group.length === 1 && job.kind === 'batch' && (isDataRefusal(err) || isConflict(err))) {
        await this.oneByOne(job);
        return;
      }
      for (const j of group) j.reject(err);
    }
  }

  /** One transaction for the group; settles every job after commit. */
  private async write(group: Job[]): Promise<void> {
    const hellos = group.filter((j): j is HelloJob => j.kind === 'hello');
    const batches = group.filter((j): j is BatchJob => j.kind === 'batch');
    const now = this.deps.now?.() ?? new Date();
    const { helloResults, batchResults } = await this.deps.db.withWriteTransaction(async (tx) => {
      const helloResults = await this.deps.machines.helloMany(
        tx,
        hellos.map((h) => ({ agentId: h.agentId, hello: h.hello })),
        now,
      );
      const batchResults = await writeBatches(
        tx,
        batches.map((b) => ({ agentId: b.agentId, events: b.admission.events, quarantined: b.admission.quarantined })),
        { assessor: this.deps.assessor, machines: this.deps.machines, now: () => now },
      );
      return { helloResults, batchResults };
    });
    this.stats.transactions++;
    this.stats.items += group.length;
    this.stats.maxGroup = Math.max(this.stats.maxGroup, group.length);
    const changes: (MachineChange | null)[] = [];
    for (const h of hellos) {
      const r = helloResults.get(h.agentId);
      if (r) changes.push(r.change);
    }
    for (const b of batchResults) {
      if (!(b instanceof Error))
        changes.push(changeOf({ machineId: b.machineId, before: b.statusBefore, verdict: b.verdict }));
    }
    this.deps.machines.emit(changes);
    for (const h of hellos) {
      const r = helloResults.get(h.agentId);
      if (r) h.resolve(r);
      else h.reject(new Error(`hello of agent ${h.agentId} registered no machine`));
    }
    for (const [i, b] of batchResults.entries()) {
      const job = batches[i]!;
      if (b instanceof Error) job.reject(b);
      else job.resolve({ ...b, admission: job.admission, oneByOne: false });
    }
  }

  /** A lone batch the database refused: ingestBatch writes it event by event and quarantines what it refuses. */
  private async oneByOne(job: BatchJob): Promise<void> {
    try {
      const db = { withTransaction: this.deps.db.withWriteTransaction.bind(this.deps.db) };
      job.resolve(
        await ingestBatch(db, job.agentId, job.admission, {
          assessor: this.deps.assessor,
          machines: this.deps.machines,
          now: this.deps.now,
        }),
      );
    } catch (err) {
      job.reject(err);
    }
  }
}
