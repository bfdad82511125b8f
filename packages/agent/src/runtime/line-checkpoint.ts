/**
 * The tail checkpoint plus the number of lines before its offset, saved together in one atomic file, so the
 * line numbers the agent reports stay absolute across restarts (the parser itself starts counting at 1).
 */
import { CheckpointSchema, type Checkpoint, type CheckpointStore } from '../tail/index.js';
import { readTextIfExists, writeJsonAtomic } from '../platform/index.js';

/** A checkpoint store that also remembers how many lines precede the checkpoint's offset. */
export class LineCountingCheckpointStore implements CheckpointStore {
  /** Lines before the offset of the last loaded or saved checkpoint. */
  linesBefore = 0;
  /** Lines handed to the parser since then; the agent adds what each chunk contained. */
  pendingLines = 0;

  constructor(private readonly file: string) {}

  /** Loads the checkpoint; a damaged file restarts from the beginning of the log (re-read, not lost). */
  async load(): Promise<Checkpoint | null> {
    const text = await readTextIfExists(this.file);
    if (text === null) return null;
    try {
      const v = JSON.parse(text) as { checkpoint: unknown; lines: unknown };
      const cp = CheckpointSchema.parse(v.checkpoint);
      this.linesBefore = typeof v.lines === 'number' && v.lines >= 0 ? v.lines : 0;
      return cp;
    } catch {
      return null;
    }
  }

  /** Saves the checkpoint with the line count that belongs to it. */
  async save(cp: Checkpoint): Promise<void> {
    const lines = cp.offset === 0 ? 0 : this.linesBefore + this.pendingLines;
    await writeJsonAtomic(this.file, { checkpoint: cp, lines });
    this.linesBefore = lines;
    this.pendingLines = 0;
  }
}

/** Number of LF bytes in a chunk (chunks from the tailer end after an LF). */
export function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}
