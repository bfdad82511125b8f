/**
 * The tail checkpoint saved together with the log parser's state (and the seq of the last log event spooled, see
 * agent.ts on resuming) in one atomic file. The offset alone is not
 * enough: a detection cycle whose START was read before the checkpoint and whose END comes after it would be lost
 * on a restart (the new parser would never see its START). With the state, the new parser goes on exactly where
 * the old one stood: open cycles, held lines and absolute line numbers included.
 */
import { ParserStateSchema, type ParserState } from '@wuwatch/core';
import { CheckpointSchema, type Checkpoint, type CheckpointStore } from '../tail/index.js';
import { readTextIfExists, writeJsonAtomic } from '../platform/index.js';

/** A parser state with nothing open, `lineNo` lines already read (older checkpoint files hold only the count). */
export function emptyParserState(lineNo: number): ParserState {
  return {
    version: 1,
    lineNo,
    partial: { bytes: '', truncated: false, bomPending: false },
    detection: { open: [], recent: [] },
    settings: null,
    network: null,
    install: { cycles: [], pending: [] },
  };
}

/** Where the tail stands after a chunk: the parser's state and the seq of the last log event spooled. */
export interface TailProgress {
  /** Null at the start of a file: a new parser. */
  parser: ParserState | null;
  /** Seq of the last event the log tail put in the spool up to this point (0: none yet). */
  logSeq: number;
}

// Progress is kept per chunk boundary of a file.
const keyOf = (fileId: string, offset: number) => `${fileId}:${offset}`;

/** A checkpoint store that saves, with each checkpoint, the tail's progress belonging to its offset. */
export class ParserCheckpointStore implements CheckpointStore {
  /** The parser state loaded with the checkpoint; null when there was none or it was unusable. */
  loadedState: ParserState | null = null;
  /** The log-event seq loaded with the checkpoint; null when the file did not hold one. */
  loadedLogSeq: number | null = null;
  /** Why a saved state could not be used (for a warning), null otherwise. */
  loadProblem: string | null = null;
  // Progress recorded as chunks were taken, by `fileId:offset`, until their checkpoint is saved: with chunks in
  // flight the parser has already gone on when an earlier chunk's checkpoint is written.
  private readonly pending = new Map<string, TailProgress>();
  // The progress last written (or loaded), by `fileId:offset`: where a re-read after a failed chunk starts.
  private saved: { key: string; progress: TailProgress } | null = null;

  /**
   * `progressNow` returns the tail's progress as it stands once what was spooled is on disk; it is saved with a
   * checkpoint whose offset no recorded, saved or loaded progress covers (a new file at offset 0).
   */
  constructor(
    private readonly file: string,
    private readonly progressNow: () => Promise<TailProgress>,
  ) {}

  /** Loads the checkpoint; a damaged file restarts from the beginning of the log (re-read, not lost). */
  async load(): Promise<Checkpoint | null> {
    this.loadedState = null;
    this.loadedLogSeq = null;
    this.loadProblem = null;
    const text = await readTextIfExists(this.file);
    if (text === null) return null;
    let v: { checkpoint?: unknown; parser?: unknown; lines?: unknown; logSeq?: unknown };
    let cp: Checkpoint;
    try {
      v = JSON.parse(text) as typeof v;
      cp = CheckpointSchema.parse(v.checkpoint);
    } catch {
      return null;
    }
    if (v.parser !== undefined && v.parser !== null) {
      const parsed = ParserStateSchema.safeParse(v.parser);
      if (parsed.success) this.loadedState = parsed.data;
      else this.loadProblem = parsed.error.issues[0]?.message ?? 'unknown shape';
    }
    if (typeof v.logSeq === 'number' && Number.isSafeInteger(v.logSeq) && v.logSeq >= 0) this.loadedLogSeq = v.logSeq;
    // At offset 0 no state is saved: the file starts with a new parser.
    if ((cp.offset === 0 || this.loadedState !== null) && this.loadedLogSeq !== null) {
      const parser = cp.offset === 0 ? null : this.loadedState;
      this.saved = { key: keyOf(cp.fileId, cp.offset), progress: { parser, logSeq: this.loadedLogSeq } };
    }
    // Files written before the parser state was saved hold only the line count.
    if (this.loadedState === null && typeof v.lines === 'number' && Number.isInteger(v.lines) && v.lines >= 0) {
      this.loadedState = emptyParserState(v.lines);
    }
    return cp;
  }

  /** Records the tail's progress once the chunk ending at `offset` of file `fileId` was parsed and spooled. */
  progressAt(fileId: string, offset: number, progress: TailProgress): void {
    this.pending.set(keyOf(fileId, offset), progress);
  }

  /** Saves the checkpoint with the progress that belongs to its offset (no parser state at offset 0). */
  async save(cp: Checkpoint): Promise<void> {
    const key = keyOf(cp.fileId, cp.offset);
    // What was recorded for this offset, or saved or loaded with it (a widened head, a save after a failed chunk),
    // before the progress as it stands, which is only right when nothing was handed over since.
    const progress = this.progressFor(cp.fileId, cp.offset) ?? (await this.progressNow());
    await writeJsonAtomic(this.file, {
      checkpoint: cp,
      parser: cp.offset === 0 ? null : progress.parser,
      logSeq: progress.logSeq,
    });
    this.saved = { key, progress };
    // Saves come in file order: states of this offset and before it are done with.
    if (this.pending.has(key))
      for (const k of this.pending.keys()) {
        if (k === key) {
          this.pending.delete(k);
          break;
        }
        this.pending.delete(k);
      }
  }

  /** The progress recorded, saved or loaded for the chunk boundary at `offset` of `fileId`; null if none is kept. */
  progressFor(fileId: string, offset: number): TailProgress | null {
    const key = keyOf(fileId, offset);
    return this.pending.get(key) ?? (this.saved?.key === key ? this.saved.progress : null);
  }

  /** Forgets progress not yet saved (the tail moved to another file, or the parser was replaced). */
  clearPending(): void {
    this.pending.clear();
  }
}
