/**
 * The tail checkpoint saved together with the log parser's state in one atomic file. The offset alone is not
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

/** A checkpoint store that saves the parser's state belonging to each checkpoint's offset. */
export class ParserCheckpointStore implements CheckpointStore {
  /** The parser state loaded with the checkpoint; null when there was none or it was unusable. */
  loadedState: ParserState | null = null;
  /** Why a saved state could not be used (for a warning), null otherwise. */
  loadProblem: string | null = null;
  // States taken as chunks were parsed, by `fileId:offset`, until their checkpoint is saved: with chunks in
  // flight the parser has already gone on when an earlier chunk's checkpoint is written.
  private readonly pending = new Map<string, ParserState>();

  /**
   * `stateNow` returns the parser's state as it stands; it is saved with a checkpoint that no {@link stateAt} call
   * covers (nothing in flight: a new file, a widened head).
   */
  constructor(
    private readonly file: string,
    private readonly stateNow: () => ParserState,
  ) {}

  /** Loads the checkpoint; a damaged file restarts from the beginning of the log (re-read, not lost). */
  async load(): Promise<Checkpoint | null> {
    this.loadedState = null;
    this.loadProblem = null;
    const text = await readTextIfExists(this.file);
    if (text === null) return null;
    let v: { checkpoint?: unknown; parser?: unknown; lines?: unknown };
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
    // Files written before the parser state was saved hold only the line count.
    if (this.loadedState === null && typeof v.lines === 'number' && Number.isInteger(v.lines) && v.lines >= 0) {
      this.loadedState = emptyParserState(v.lines);
    }
    return cp;
  }

  /** Records the parser's state right after the chunk ending at `offset` of file `fileId` was parsed. */
  stateAt(fileId: string, offset: number, state: ParserState): void {
    this.pending.set(`${fileId}:${offset}`, state);
  }

  /** Saves the checkpoint with the parser state that belongs to its offset (none at offset 0). */
  async save(cp: Checkpoint): Promise<void> {
    const key = `${cp.fileId}:${cp.offset}`;
    const state = cp.offset === 0 ? null : (this.pending.get(key) ?? this.stateNow());
    await writeJsonAtomic(this.file, { checkpoint: cp, parser: state });
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

  /** Forgets states not yet saved (the tail moved to another file, or the parser was replaced). */
  clearPending(): void {
    this.pending.clear();
  }
}
