/**
 * Pure bookkeeping over the in-memory segment list: what is still unacknowledged, and which segments to drop
 * when an append would overflow the disk budget.
 */
import type { PendingDrop } from './meta.js';
import type { SegmentPosition, SegmentState } from './segment.js';

/** Position of the first unacknowledged record inside the one segment that straddles the acknowledged seq. */
export interface AckBoundary {
  readonly no: number;
  pos: SegmentPosition;
}

/** Unacknowledged part of a segment. `fromSeq` is its first unacknowledged seq, 0 when there is none. */
export interface Pending {
  readonly count: number;
  readonly bytes: number;
  readonly fromSeq: number;
}

const NONE: Pending = Object.freeze({ count: 0, bytes: 0, fromSeq: 0 });

/** The unacknowledged records of `seg` given the acknowledged seq and the cached boundary position. */
export function pendingOf(seg: SegmentState, ackedSeq: number, boundary: AckBoundary | null): Pending {
  if (seg.count === 0 || seg.lastSeq <= ackedSeq) return NONE;
  if (seg.firstSeq > ackedSeq || boundary?.no !== seg.no || boundary.pos.seq === null) {
    // Without a boundary the whole segment counts: overstating is safe, it only means resending.
    return { count: seg.count, bytes: seg.size, fromSeq: seg.firstSeq };
  }
  const { pos } = boundary;
  return { count: seg.count - pos.index, bytes: seg.size - pos.offset, fromSeq: pos.seq ?? seg.firstSeq };
}

/** Unacknowledged records and bytes over all segments. */
export function totalPending(
  segments: readonly SegmentState[],
  ackedSeq: number,
  boundary: AckBoundary | null,
): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const seg of segments) {
    const p = pendingOf(seg, ackedSeq, boundary);
    count += p.count;
    bytes += p.bytes;
  }
  return { count, bytes };
}

/** Bytes the segments occupy on disk. */
export function diskBytes(segments: readonly SegmentState[]): number {
  return segments.reduce((sum, s) => sum + s.size, 0);
}

/** Segments to delete for space, what unacknowledged records go with them, and what the report must say. */
export interface DropPlan {
  readonly victims: readonly SegmentState[];
  /** Unacknowledged records deleted now (earlier `spool_dropped` reports among them included). */
  readonly lost: number;
  /** Events the new report covers: `lost` plus the counts of unacknowledged reports deleted with the victims. */
  readonly dropped: number;
  readonly fromSeq: number;
  readonly toSeq: number;
}

/**
 * Oldest-first segments to delete so that `incoming` more bytes fit in `maxBytes`. The `writable` segment (the
 * one the append goes to) is never chosen, so the budget may be exceeded by at most that segment plus the batch.
 * Unacknowledged `spool_dropped` reports inside a victim are folded into the plan, so no loss goes unreported.
 */
export function planDrop(
  segments: readonly SegmentState[],
  writable: SegmentState | null,
  ackedSeq: number,
  boundary: AckBoundary | null,
  incoming: number,
  maxBytes: number,
): DropPlan | null {
  let total = diskBytes(segments);
  if (total + incoming <= maxBytes) return null;
  const victims: SegmentState[] = [];
  let lost = 0;
  let carried = 0;
  let fromSeq = Number.POSITIVE_INFINITY;
  let toSeq = 0;
  for (const seg of segments) {
    if (seg === writable || total + incoming <= maxBytes) break;
    const p = pendingOf(seg, ackedSeq, boundary);
    if (p.count > 0) {
      lost += p.count;
      fromSeq = Math.min(fromSeq, p.fromSeq);
      toSeq = Math.max(toSeq, seg.lastSeq);
      for (const r of seg.reports) {
        if (r.seq <= ackedSeq) continue;
        carried += r.dropped;
        fromSeq = Math.min(fromSeq, r.fromSeq);
      }
    }
    victims.push(seg);
    total -= seg.size;
  }
  if (victims.length === 0) return null;
  return { victims, lost, dropped: lost + carried, fromSeq: lost > 0 ? fromSeq : 0, toSeq };
}

/** Folds a new drop into a report not yet written, which will take seq `seq`. */
export function mergeDrop(prev: PendingDrop | null, plan: DropPlan, seq: number): PendingDrop {
  if (prev === null) return { seq, dropped: plan.dropped, fromSeq: plan.fromSeq, toSeq: plan.toSeq };
  return {
    seq,
    dropped: prev.dropped + plan.dropped,
    fromSeq: Math.min(prev.fromSeq, plan.fromSeq),
    toSeq: Math.max(prev.toSeq, plan.toSeq),
  };
}
