/**
 * The spool's state — its segments, the seqs assigned and acknowledged, the drop report it owes, the producers'
 * cursors — and the operations that change it on disk: recovery on open, appends, acknowledgements, setting an
 * event aside. Its mutating methods must run one at a time (the Spool facade queues them); its readers may run
 * beside them, reading a snapshot of committed extents.
 */
import { makeError } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { encodeBatch, estimateBatchBytes } from './batch.js';
import type { CursorMark } from './batch.js';
import type { CursorRecord } from './cursor.js';
import { fsyncDir, unlinkIfExists } from './fsutil.js';
import { PositionHints } from './hints.js';
import { diskBytes, mergeDrop, pendingOf, planDrop, totalPending } from './ledger.js';
import type { AckBoundary } from './ledger.js';
import { writeMeta } from './meta.js';
import type { PendingDrop } from './meta.js';
import type { ResolvedOptions } from './options.js';
import type { PreparedEvent } from './prepare.js';
import { readRawAfter } from './reader.js';
import type { ReadContext } from './reader.js';
import { recover } from './recovery.js';
import { emptySegment } from './segment.js';
import type { SegmentPosition, SegmentState } from './segment.js';
import { appendSetAside } from './set-aside.js';
import type { SpoolLogger, SpoolOpenReport } from './types.js';
import { SegmentWriter } from './writer.js';

/** The spool's on-disk state and the serial operations that change it. */
export class SpoolStore {
  readonly dir: string;
  readonly logger: SpoolLogger;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly chunkBytes: number;
  private readonly now: () => Date;
  private segments: SegmentState[] = [];
  private nextSegmentNo = 1;
  /** Appends to the newest segment through its one open handle. */
  private readonly writer: SegmentWriter;
  private seqHigh = 0;
  private acked = 0;
  private boundary: AckBoundary | null = null;
  private pendingDrop: PendingDrop | null = null;
  private dropped = 0;
  private report: SpoolOpenReport | null = null;
  /** Positions left by peeks for the next peek or ack. */
  private readonly hints: PositionHints;
  /** The latest committed cursor of each producer. */
  private cursors = new Map<string, CursorRecord>();
  private cursorGen = 0;

  constructor(options: ResolvedOptions) {
    ({
      dir: this.dir,
      maxBytes: this.maxBytes,
      segmentBytes: this.segmentBytes,
      chunkBytes: this.chunkBytes,
      logger: this.logger,
      now: this.now,
    } = options);
    this.hints = new PositionHints(this.chunkBytes);
    this.writer = new SegmentWriter(this.logger);
  }

  /** Highest acknowledged seq. */
  get ackedSeq(): number {
    return this.acked;
  }
  /** Highest seq ever assigned (0 for a new spool). */
  get lastSeq(): number {
    return this.seqHigh;
  }
  /** Events and on-disk bytes not yet acknowledged. */
  pending(): { count: number; bytes: number } {
    return totalPending(this.segments, this.acked, this.boundary);
  }
  /** Bytes all segments occupy on disk, acknowledged records included. */
  get diskBytes(): number {
    return diskBytes(this.segments);
  }
  /** Unacknowledged events dropped for space since this spool was opened. */
  get droppedCount(): number {
    return this.dropped;
  }
  /** What {@link SpoolStore.load} found and repaired; null before it finished. */
  get openReport(): SpoolOpenReport | null {
    return this.report;
  }
  /** The value of the latest cursor committed under `key`, null if none. */
  cursor(key: string): Record<string, unknown> | null {
    return this.cursors.get(key)?.value ?? null;
  }

  /** A copy of the committed extents, so a read beside appends sees none of them half-done. */
  snapshot(): SegmentState[] {
    return this.segments.map((s) => ({ ...s }));
  }

  /** The services a read of the segments uses: cached positions and the read settings. */
  readContext(): ReadContext {
    return {
      locate: (seg: SegmentState, after: number) => this.hints.locate(seg, after),
      remember: (after: number, no: number, pos: SegmentPosition) => this.hints.remember(after, no, pos),
      chunkBytes: this.chunkBytes,
      logger: this.logger,
    };
  }

  /** Recovers the state from disk, then writes a drop report a crash kept from being written. */
  async load(): Promise<void> {
    const rec = await recover(this.dir, this.logger, this.chunkBytes);
    this.segments = rec.segments;
    this.nextSegmentNo = rec.nextSegmentNo;
    this.seqHigh = rec.lastSeq;
    this.acked = rec.meta.ackedSeq;
    this.report = rec.report;
    this.cursors = rec.cursors;
    this.cursorGen = rec.cursorGen;
    await this.computeBoundary();
    const pd = rec.meta.pendingDrop;
    // The report was written iff some stored or acknowledged seq reached the seq it was to take.
    if (pd !== null && Math.max(rec.storedMaxSeq, this.acked) < pd.seq) {
      this.pendingDrop = { ...pd, seq: this.seqHigh + 1 };
      try {
        await this.write([]);
      } catch (err) {
        // Not fatal: the report stays pending and goes out with the next append.
        this.logger.error({ err: String(err) }, 'spool: could not write the pending spool_dropped event');
      }
    }
  }

  /** Saves the meta file: acknowledged seq, seq high-water mark, the drop report owed and the cursors. */
  saveMeta(): Promise<void> {
    return writeMeta(this.dir, {
      version: 1,
      ackedSeq: this.acked,
      lastSeq: this.seqHigh,
      pendingDrop: this.pendingDrop,
      cursors: this.cursors,
    });
  }

  /** Closes the write handle, if open; errors are ignored (whatever it wrote was fsync'ed already). */
  closeWriter(): Promise<void> {
    return this.writer.close();
  }

  /**
   * Numbers and stores `prepared` (after an owed drop report) with `cursor`, in one write and one fsync,
   * rolling over to a new segment and dropping the oldest ones for space as needed; resolves once on disk.
   */
  async write(prepared: readonly PreparedEvent[], cursor?: CursorMark): Promise<WireEvent[]> {
    const estimate = estimateBatchBytes(prepared, this.seqHigh, cursor);
    const current = this.writable();
    if (current !== null && current.size > 0 && current.size + estimate > this.segmentBytes)
      await this.writer.seal(current);
    await this.makeRoom(estimate);
    const drop = this.pendingDrop;
    const batch = encodeBatch(prepared, this.seqHigh, drop, cursor, this.cursorGen, this.now);
    const seg = await this.writeTarget();
    const start = seg.size;
    await this.writer.append(seg, batch.cursorFrame, batch.eventFrames, batch.frameBytes, this.seqHigh + 1);
    if (cursor !== undefined) {
      this.cursorGen += 1;
      this.cursors.set(cursor.key, { gen: this.cursorGen, events: batch.events, key: cursor.key, value: cursor.value });
    }
    // A boundary parked at the end of a fully acknowledged segment now knows its first unacknowledged seq.
    if (this.boundary?.no === seg.no && this.boundary.pos.seq === null && this.boundary.pos.offset === start) {
      this.boundary.pos = { ...this.boundary.pos, seq: this.seqHigh + 1 };
    }
    if (drop !== null) seg.reports.push({ ...drop, seq: this.seqHigh + 1 });
    this.seqHigh += batch.frameBytes.length;
    this.pendingDrop = null;
    return batch.stored;
  }

  /**
   * Records every seq ≤ `upToSeq` as acknowledged (moving numbering past it when it is above the last seq) and
   * deletes the segments holding only acknowledged events.
   */
  async acknowledge(upToSeq: number): Promise<void> {
    if (upToSeq <= this.acked) return;
    if (upToSeq > this.seqHigh) {
      this.logger.warn(
        { upToSeq, lastSeq: this.seqHigh },
        'spool: collector acknowledged seqs this spool never wrote; numbering continues after them',
      );
      this.seqHigh = upToSeq;
      if (this.pendingDrop !== null) this.pendingDrop = { ...this.pendingDrop, seq: upToSeq + 1 };
    }
    this.acked = upToSeq;
    await this.computeBoundary();
    await this.saveMeta();
    const writable = this.writable();
    const victims = this.segments.filter((s) => s !== writable && pendingOf(s, this.acked, null).count === 0);
    this.segments = this.segments.filter((s) => !victims.includes(s));
    await this.deleteFiles(victims);
  }

  /** Copies the first unacknowledged event (`seq` must be it) to the set-aside file, then acknowledges it. */
  async setAside(seq: number, reason: string): Promise<string> {
    if (seq !== this.acked + 1) {
      throw makeError('BAD_REQUEST', [`setAside(${seq}): only the first unacknowledged event (${this.acked + 1})`]);
    }
    const [event] = await readRawAfter(
      this.snapshot(),
      { afterSeq: this.acked, maxCount: 1, maxBytes: Number.MAX_SAFE_INTEGER },
      this.readContext(),
    );
    if (event?.seq !== seq) throw makeError('BAD_REQUEST', [`setAside(${seq}): no such event in the spool`]);
    const file = await appendSetAside(this.dir, [event.json], reason, this.now());
    await this.acknowledge(seq);
    return file;
  }

  /** Finds where the unacknowledged records start in the segment straddling the acknowledged seq. */
  private async computeBoundary(): Promise<void> {
    this.boundary = null;
    for (const seg of this.segments) {
      if (seg.count === 0 || seg.firstSeq > this.acked) continue;
      if (seg.lastSeq > this.acked || seg === this.writable()) {
        this.boundary = { no: seg.no, pos: await this.hints.locate(seg, this.acked) };
        return;
      }
    }
  }

  /** The segment appends go to, if it exists and is not sealed. */
  private writable(): SegmentState | null {
    const last = this.segments[this.segments.length - 1];
    return last !== undefined && !last.sealed ? last : null;
  }

  /** The writable segment, starting a new segment file when there is none. */
  private async writeTarget(): Promise<SegmentState> {
    const current = this.writable();
    if (current !== null) return current;
    const seg = emptySegment(this.dir, this.nextSegmentNo++);
    await this.writer.create(seg);
    this.segments.push(seg);
    await fsyncDir(this.dir); // the new name must survive a crash along with the data fsync'ed into it
    return seg;
  }

  /** Deletes segment files (already removed from the list), then makes the removals durable. */
  private async deleteFiles(victims: readonly SegmentState[]): Promise<void> {
    for (const seg of victims) await unlinkIfExists(seg.path);
    if (victims.length > 0) await fsyncDir(this.dir);
  }

  /** Drops the oldest segments when `incoming` bytes would overflow the budget; records the loss to report. */
  private async makeRoom(incoming: number): Promise<void> {
    const plan = planDrop(this.segments, this.writable(), this.acked, this.boundary, incoming, this.maxBytes);
    if (plan === null) return;
    if (plan.dropped > 0) this.pendingDrop = mergeDrop(this.pendingDrop, plan, this.seqHigh + 1);
    // Meta first: if we crash after deleting, the reopened spool still owes the collector the drop report.
    await this.saveMeta();
    this.segments = this.segments.filter((s) => !plan.victims.includes(s));
    if (this.boundary !== null && plan.victims.some((s) => s.no === this.boundary?.no)) this.boundary = null;
    await this.deleteFiles(plan.victims);
    this.dropped += plan.lost;
    if (plan.lost > 0) {
      this.logger.warn(
        { dropped: plan.lost, fromSeq: plan.fromSeq, toSeq: plan.toSeq, maxBytes: this.maxBytes },
        'spool full: dropped the oldest unacknowledged events',
      );
    }
  }
}
