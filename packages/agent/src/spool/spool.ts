/**
 * The agent's durable spool: an append-only, segmented, checksummed queue of outgoing events on disk.
 * Events get strictly increasing seqs, are fsync'ed before `append` resolves, are read back in order by
 * `peek`, and are deleted only once acknowledged (or, when the disk budget is exhausted, dropped oldest-first
 * with a `spool_dropped` event reporting the loss). Appends and acks run one at a time; peeks run beside them.
 * An append may carry a producer's cursor (see cursor.ts), committed in the same write and fsync as its events.
 *
 * This file is the public face: lifecycle, argument checks, the serial write queue and error wrapping. The state
 * and what changes it on disk live in store.ts; batches are encoded in batch.ts and written by writer.ts.
 */
import { makeError } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { cursorValueJson } from './cursor.js';
import type { CursorInput } from './cursor.js';
import type { RawEvent } from './frame.js';
import { ioError } from './fsutil.js';
import { prepareEvent } from './prepare.js';
import { resolveOptions } from './options.js';
import { readAfter, readRawAfter } from './reader.js';
import type { SegmentState } from './segment.js';
import { SpoolStore } from './store.js';
import type { SpoolInput, SpoolOpenReport, SpoolOptions } from './types.js';

/** Lifecycle of a spool. */
export type SpoolState = 'opening' | 'open' | 'closing' | 'closed';

const TRANSITIONS: Readonly<Record<SpoolState, readonly SpoolState[]>> = {
  opening: ['open', 'closed'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

/** A durable, bounded, crash-safe queue of outgoing events. Create with {@link Spool.open}. */
export class Spool {
  #state: SpoolState = 'opening';
  private readonly store: SpoolStore;
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Promise<void> | null = null;
  /** Highest seq an `ack` call asked for. */
  private ackTarget = 0;
  /** The acknowledgement queued and not started yet: later acks join it (one meta save for all). */
  private ackQueued: Promise<void> | null = null;

  private constructor(options: SpoolOptions) {
    this.store = new SpoolStore(resolveOptions(options));
  }

  /** Opens (creating if needed) the spool in `options.dir`, repairing what a crash left behind. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    try {
      await spool.store.load();
    } catch (err) {
      await spool.store.closeWriter();
      spool.transition('closed');
      throw ioError(`opening ${options.dir}`, err);
    }
    spool.transition('open');
    return spool;
  }

  /** Current lifecycle state. */
  get state(): SpoolState {
    return this.#state;
  }
  /** Highest acknowledged seq. */
  get ackedSeq(): number {
    return this.store.ackedSeq;
  }
  /** Highest seq ever assigned (0 for a new spool). */
  get lastSeq(): number {
    return this.store.lastSeq;
  }
  /** Stored events not yet acknowledged. */
  get pendingCount(): number {
    return this.store.pending().count;
  }
  /** On-disk bytes (frames included) of the events not yet acknowledged. */
  get pendingBytes(): number {
    return this.store.pending().bytes;
  }
  /** Bytes all segments occupy on disk, acknowledged records included. */
  get diskBytes(): number {
    return this.store.diskBytes;
  }
  /** Unacknowledged events dropped for space since this spool was opened. */
  get droppedCount(): number {
    return this.store.droppedCount;
  }
  /** The value of the latest cursor committed under `key` (by this run or one before it), null if none. */
  cursor(key: string): Record<string, unknown> | null {
    return this.store.cursor(key);
  }

  /** What {@link Spool.open} found and repaired. */
  get openReport(): SpoolOpenReport {
    const report = this.store.openReport;
    if (report === null) throw makeError('SPOOL_CLOSED', [this.#state]);
    return report;
  }

  /**
   * Numbers and durably stores `events` (one write and one fsync for the batch), with `cursor` when given: the
   * producer's position after these events, committed with them or not at all. Resolves with the events once on disk.
   */
  append(events: readonly SpoolInput[], cursor?: CursorInput): Promise<WireEvent[]> {
    try {
      this.assertOpen();
      // Checked and serialised before queueing: a bad event is refused to its caller, never stored.
      const prepared = events.map(prepareEvent);
      if (prepared.length === 0 && cursor === undefined) return Promise.resolve([]);
      const mark = cursor === undefined ? undefined : { ...cursor, json: cursorValueJson(cursor) };
      return this.exclusive(() => this.store.write(prepared, mark)).catch((err: unknown) => {
        throw ioError(`appending to ${this.store.dir}`, err);
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Stored events with seq > `afterSeq`, in order: at most `maxCount`, and at most `maxBytes` of JSON payload
   * (but always at least one event when one exists, so an oversized event cannot stall the sender).
   */
  async peek(afterSeq: number, maxCount: number, maxBytes: number): Promise<WireEvent[]> {
    const snapshot = this.peekSnapshot('peek', afterSeq, maxCount, maxBytes);
    try {
      return await readAfter(snapshot, { afterSeq, maxCount, maxBytes }, this.store.readContext());
    } catch (err) {
      throw ioError(`reading ${this.store.dir}`, err);
    }
  }

  /**
   * {@link Spool.peek} with each event as its stored JSON (`{"seq":…,"time":…,"kind":…,"data":…}`, exactly what
   * `JSON.stringify` gives for the event `peek` returns), for a sender that puts it on the wire as it is.
   */
  async peekRaw(afterSeq: number, maxCount: number, maxBytes: number): Promise<RawEvent[]> {
    const snapshot = this.peekSnapshot('peekRaw', afterSeq, maxCount, maxBytes);
    try {
      return await readRawAfter(snapshot, { afterSeq, maxCount, maxBytes }, this.store.readContext());
    } catch (err) {
      throw ioError(`reading ${this.store.dir}`, err);
    }
  }

  /** Checks peek arguments; a snapshot of the committed extents (appends landing meanwhile wait for the next peek). */
  private peekSnapshot(what: string, afterSeq: number, maxCount: number, maxBytes: number): SegmentState[] {
    this.assertOpen();
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0 || !(maxCount >= 1) || !(maxBytes >= 1)) {
      throw makeError('BAD_REQUEST', [`${what}(${afterSeq}, ${maxCount}, ${maxBytes})`]);
    }
    return this.store.snapshot();
  }

  /**
   * Records that the collector stored every event with seq ≤ `upToSeq` and deletes segments holding only such
   * events. An ack above `lastSeq` (the collector knows seqs this spool lost) moves numbering past it.
   */
  ack(upToSeq: number): Promise<void> {
    try {
      this.assertOpen();
      if (!Number.isSafeInteger(upToSeq) || upToSeq < 0) throw makeError('BAD_REQUEST', [`ack(${upToSeq})`]);
      this.ackTarget = Math.max(this.ackTarget, upToSeq);
      // Acks arriving while one waits behind an append ride along with it: one meta save covers the highest.
      this.ackQueued ??= this.exclusive(() => {
        this.ackQueued = null;
        return this.store.acknowledge(this.ackTarget);
      }).catch((err: unknown) => {
        throw ioError(`acknowledging in ${this.store.dir}`, err);
      });
      return this.ackQueued;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Moves the first unacknowledged event (`seq` must be it) to the set-aside file with `reason`, then acknowledges
   * it, so delivery goes on with the next one; resolves with the set-aside file's path. For an event the collector
   * refused again and again: it stays on disk, out of the queue.
   */
  setAside(seq: number, reason: string): Promise<string> {
    try {
      this.assertOpen();
      return this.exclusive(() => this.store.setAside(seq, reason)).catch((err: unknown) => {
        throw ioError(`setting aside in ${this.store.dir}`, err);
      });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Waits for queued appends, saves the meta file and closes; calling it again returns the same promise. */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    if (this.#state !== 'open') return Promise.resolve();
    this.transition('closing');
    this.closed = (async () => {
      await this.queue;
      try {
        await this.store.saveMeta();
      } catch (err) {
        this.store.logger.error({ err: String(err) }, 'spool: could not save the meta file on close');
      } finally {
        await this.store.closeWriter();
        this.transition('closed');
      }
    })();
    return this.closed;
  }

  private transition(to: SpoolState): void {
    if (!TRANSITIONS[this.#state].includes(to)) throw makeError('INTERNAL', [`spool state ${this.#state} → ${to}`]);
    this.#state = to;
  }

  private assertOpen(): void {
    if (this.#state !== 'open') throw makeError('SPOOL_CLOSED', [this.#state]);
  }

  /** Runs `task` after every queued append/ack: the write side is strictly serial. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
