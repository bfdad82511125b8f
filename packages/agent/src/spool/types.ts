/** Options, logger and report types of the durable spool. */
import type { EventKind } from '@wuwatch/core';
import type { FrameFault } from './frame.js';

/** The pino-like logger the spool writes to (pino's `(obj, msg)` call form). */
export interface SpoolLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A logger that discards everything. */
export const silentLogger: SpoolLogger = Object.freeze({ info() {}, warn() {}, error() {} });

/** An event before the spool numbers it. */
export interface SpoolInput {
  /** ISO 8601 time with offset, e.g. `2024-05-01T10:00:00.000Z`. */
  readonly time: string;
  readonly kind: EventKind;
  readonly data: Record<string, unknown>;
}

/** Spool configuration. */
export interface SpoolOptions {
  /** Folder holding the segments and meta file; created when missing. */
  readonly dir: string;
  /** Disk budget of all segments; when an append would exceed it the oldest segments are dropped. 256 MiB. */
  readonly maxBytes?: number;
  /** Size after which the written segment is sealed and a new one started. 8 MiB; at most maxBytes / 2. */
  readonly segmentBytes?: number;
  readonly logger?: SpoolLogger;
  /** Clock for the spool's own `spool_dropped` events. */
  readonly now?: () => Date;
  /** Read size used when scanning and peeking. 256 KiB. */
  readonly readChunkBytes?: number;
}

/** One damaged stretch found on open and cut away. */
export interface SpoolCut {
  readonly file: string;
  readonly offset: number;
  readonly lostBytes: number;
  readonly fault: FrameFault | 'bad_sequence';
  /** True for a torn tail (the last write of the newest segment cut short by a crash): no resolved append lost. */
  readonly tornTail: boolean;
}

/** What opening the spool found and repaired. */
export interface SpoolOpenReport {
  readonly segments: number;
  readonly records: number;
  readonly ackedSeq: number;
  readonly lastSeq: number;
  readonly cuts: readonly SpoolCut[];
  /** Bytes cut away in total. */
  readonly lostBytes: number;
  /** Segments deleted on open because they were empty or fully acknowledged. */
  readonly removedSegments: number;
  /** Why the meta file was ignored, or null when it was fine or absent. */
  readonly metaProblem: string | null;
}

/** Data of the `spool_dropped` event the spool appends after dropping unacknowledged segments for space. */
export interface SpoolDroppedData {
  readonly dropped: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly reason: 'spool_full';
}
