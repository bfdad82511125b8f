/**
 * Appending to the newest segment file: the one write handle the spool keeps open while that segment takes
 * appends, each append as at most two writes and one fsync, and the cut of a write that failed, so a segment
 * never holds bytes past what its in-memory index counts.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ioError, writeFully } from './fsutil.js';
import { noteCursor, noteFrame } from './segment.js';
import type { SegmentState } from './segment.js';
import type { SpoolLogger } from './types.js';

/** The write side of the spool's newest segment. */
export class SegmentWriter {
  /** Write handle of the newest segment while it takes appends. */
  private fh: FileHandle | null = null;
  readonly #logger: SpoolLogger;

  constructor(logger: SpoolLogger) {
    this.#logger = logger;
  }

  /** Creates the file of the new segment `seg` (it must not exist yet) and keeps its handle for appends. */
  async create(seg: SegmentState): Promise<void> {
    this.fh = await open(seg.path, 'wx');
  }

  /**
   * Writes `cursorFrame` (when given) and then `eventFrames` at the end of `seg`, fsyncs, and indexes them in
   * `seg`, the event frames (of sizes `frameBytes`) numbered from `firstSeq`. On failure cuts what was written
   * (sealing `seg` if even that fails) and throws SPOOL_IO, leaving `seg` as it was.
   */
  async append(
    seg: SegmentState,
    cursorFrame: Buffer | null,
    eventFrames: Buffer,
    frameBytes: readonly number[],
    firstSeq: number,
  ): Promise<void> {
    // The last segment found on open is still writable: it gets its handle on its first append.
    this.fh ??= await open(seg.path, 'r+');
    const fh = this.fh;
    const start = seg.size;
    try {
      // The cursor first: it says how many event frames follow, so an append cut short is cut whole on open. Two
      // writes (no copy of the batch), one fsync.
      if (cursorFrame === null) await writeFully(fh, eventFrames, start);
      else {
        await writeFully(fh, cursorFrame, start);
        await writeFully(fh, eventFrames, start + cursorFrame.length);
      }
      await fh.sync();
    } catch (err) {
      await this.abandonTail(seg, fh, start);
      throw ioError(`writing ${seg.path}`, err);
    }
    let offset = start;
    if (cursorFrame !== null) {
      noteCursor(seg, offset, cursorFrame.length);
      offset += cursorFrame.length;
    }
    for (const [i, size] of frameBytes.entries()) {
      noteFrame(seg, firstSeq + i, offset, size);
      offset += size;
    }
  }

  /** Seals `seg` (it takes no more appends) and closes its handle. */
  async seal(seg: SegmentState): Promise<void> {
    seg.sealed = true;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }

  /** Closes the handle, if open; errors are ignored (whatever it wrote was fsync'ed already). */
  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }

  /** After a failed write, cut the partial bytes; if even that fails, never write to this segment again. */
  private async abandonTail(seg: SegmentState, fh: FileHandle, committed: number): Promise<void> {
    try {
      await fh.truncate(committed);
    } catch (err) {
      this.#logger.error(
        { file: seg.path, err: String(err) },
        'spool: could not cut a failed write; sealing the segment',
      );
      await this.seal(seg).catch(() => undefined);
    }
  }
}
