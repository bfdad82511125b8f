/**
 * One agent batch from envelope to acknowledgement: admission (sanitise, check, quarantine) and then one
 * transaction. Should the database still refuse the batch's data (a case admission did not foresee), the batch is
 * written again one event at a time in seq order and each refused event is quarantined with the database's
 * message, so the agent gets an ack and moves on instead of resending the same batch for ever.
 */
import type { Database } from '../db/index.js';
import type { MachineService } from '../machines/refresh.js';
import type { PolicyAssessor } from '../machines/projection.js';
import { admitEvents, type Admission, type AdmissionOptions, type QuarantinedEvent } from './admission.js';
import { writeBatch, type BatchResult } from './writer.js';

/** What ingesting one batch did. */
export interface IngestResult extends BatchResult {
  admission: Admission;
  /** True when the database refused the batch and it was written event by event. */
  oneByOne: boolean;
}

/** Dependencies of {@link ingestBatch}. */
export interface IngestDeps {
  assessor: PolicyAssessor;
  machines: MachineService;
  now?: () => Date;
}

/**
 * True for PostgreSQL errors about the data itself (SQLSTATE classes 22 data exception, 23 integrity, 54 program
 * limit): writing the same data again fails the same way. Connection and server errors are worth a retry.
 */
export function isDataRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/** Admits one batch's events (sanitise, check, quarantine) at `now`; see admission.ts. */
export function admitBatch(
  events: readonly { seq: number }[],
  opts: AdmissionOptions,
  assessor: PolicyAssessor,
  now: Date = new Date(),
): Admission {
  return admitEvents(events, now, opts, assessor);
}

/** Writes one admitted batch; see the module comment. Throws only for errors worth the agent's retry. */
export async function ingestBatch(
  db: Pick<Database, 'withTransaction'>,
  agentId: string,
  admission: Admission,
  deps: IngestDeps,
): Promise<IngestResult> {
  const common = { assessor: deps.assessor, machines: deps.machines, now: deps.now };
  try {
    const r = await writeBatch(db, agentId, admission.events, { ...common, quarantined: admission.quarantined });
    return { ...r, admission, oneByOne: false };
  } catch (err) {
    if (!isDataRefusal(err)) throw err;
  }
  type Item = { seq: number; event?: (typeof admission.events)[number]; q?: QuarantinedEvent };
  const items: Item[] = [
    ...admission.events.map((e) => ({ seq: e.seq, event: e })),
    ...admission.quarantined.map((q) => ({ seq: q.seq, q })),
  ].sort((a, b) => a.seq - b.seq);
  let last: BatchResult | null = null;
  let inserted = 0;
  let quarantined = 0;
  let neverDelivered = 0;
  for (const item of items) {
    let r: BatchResult;
    if (item.event) {
      try {
        r = await writeBatch(db, agentId, [item.event], common);
      } catch (err) {
        if (!isDataRefusal(err)) throw err;
        const q: QuarantinedEvent = {
          seq: item.seq,
          kind: item.event.kind,
          class: 'database',
          reason: `database refused it: ${(err as Error).message}`.slice(0, 1000),
          raw: JSON.stringify(item.event),
        };
        admission.quarantined.push(q);
        r = await writeBatch(db, agentId, [], { ...common, quarantined: [q] });
      }
    } else {
      r = await writeBatch(db, agentId, [], { ...common, quarantined: [item.q!] });
    }
    inserted += r.inserted;
    quarantined += r.quarantined;
    neverDelivered += r.neverDelivered;
    last = r;
  }
  return { ...last!, inserted, quarantined, neverDelivered, admission, oneByOne: true };
}
