/**
 * Polling tail of the legacy WindowsUpdate.log (no fs.watch: it is unreliable on Windows system folders
 * and for files other processes append to). This part reads bytes and notices rotation and truncation; what the
 * chunks become, and making them durable together with the position after them, is the sink's (runtime/log-sink.ts).
 *
 * What is guaranteed (and tested):
 * - The sink receives the bytes of each file in order, each byte once, in chunks of at most `chunkBytes`
 *   that end after an LF. A trailing line without LF is held back until its LF arrives. Exceptions: a
 *   line longer than `chunkBytes` is delivered in pieces, and the last unterminated line of a file that
 *   was rotated away is delivered as it is (no LF will ever come).
 * - The position moves past a chunk only once the sink resolved it and every chunk before it; a chunk that failed
 *   is handed over again by the next poll, and nothing after it moves the position. A restart given the position
 *   the sink made durable continues exactly after the last chunk it took.
 * - Each poll reads up to the size the file had when the poll looked; what is appended meanwhile waits for
 *   the next poll.
 * - A new position that is not reached by reading on (the first file, a new file after a rotation, a truncation,
 *   the end of the history with `startAt: 'end'`) is handed to the sink's `moved` before anything of it is read.
 * - The sink's `flush` is called when a poll has read what it could, and after a rotated-away file was finished.
 * - Rotation by rename or delete while running (holdOpen, the default): the handle kept open between
 *   polls still reaches the old file, so its rest is read to the end, including bytes appended after our
 *   last poll, before the new file is read from 0 (report `replaced`). Bytes the writer appends to the
 *   old file after that drain are lost.
 * - Truncation in place (size < offset, report `truncated`) or a different head at the same identity
 *   (report `replaced`): the new content is read from 0; what was appended after our last poll and
 *   before the truncation is gone with it.
 * - Replacement while the agent was not running: the old file cannot be found again, so only the new
 *   file is read (from 0). With `holdOpen: false`, rotation between two polls loses what was appended
 *   to the old file after the last poll.
 *
 * Why holdOpen can be turned off: libuv opens with FILE_SHARE_DELETE so renames never fail, but before
 * Windows 10 a *deleted* file whose handle is still open keeps its name until the handle closes; for
 * at most one poll interval the writer could not create a new file of the same name.
 */
import type { BigIntStats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isWuwatchError, makeError } from '@wuwatch/core';
import type { WuwatchError } from '@wuwatch/core';
import { errCode, readAt, samePath } from './files.js';
import { fileIdOf, hashHead, HEAD_BYTES } from './identity.js';
import { PollLoop } from './poll-loop.js';
import type { TailState } from './poll-loop.js';
import type { TailPosition } from './position.js';

export type { TailState } from './poll-loop.js';

/** Something the operator may want to know about the tailed file. */
export type TailReport =
  | { kind: 'missing'; path: string }
  | { kind: 'truncated'; path: string; previousOffset: number; size: number }
  | { kind: 'replaced'; path: string; reason: 'file_id' | 'head'; drainedBytes: number }
  | { kind: 'caught_up'; path: string; offset: number; bytes: number }
  | { kind: 'error'; path: string; error: WuwatchError };

/** Where the chunks go. Both calls resolve once what they were given is durable; the tailer waits for them. */
export interface TailSink {
  /** Takes the chunk that ends at `position` (same file and head as the chunk before it, unless `moved` came between). */
  chunk(buf: Buffer, position: TailPosition): Promise<void>;
  /** The tail goes on from `position`, not reached by reading on: a new, replaced or truncated file (`report`). */
  moved(position: TailPosition, report: TailReport | null): Promise<void>;
  /** A poll read what it could: make durable whatever was taken and not yet (optional). */
  flush?(): Promise<void>;
}

/** Options of {@link LogTailer}. */
export interface TailerOptions {
  path: string;
  sink: TailSink;
  /** Where the last run left off, as the sink made it durable (null: nothing yet). A position of another path is ignored. */
  start?: TailPosition | null;
  onReport?: (report: TailReport) => void;
  /** Poll interval (default 1000 ms). */
  pollMs?: number;
  /** Largest chunk handed to the sink (default 512 KiB). */
  chunkBytes?: number;
  /**
   * Chunks handed to the sink before the first of them resolved (default 1). With 2 the sink is given chunk N+1
   * while chunk N is still being made durable, so its CPU work overlaps N's disk writes; the position still moves
   * in order, past a chunk only once it and every earlier one resolved.
   */
  maxInFlight?: number;
  /** Without a start position: read the existing file from its start (default) or only what comes next. */
  startAt?: 'beginning' | 'end';
  /** Keep the file open between polls so a rotated-away file can be finished (default true). */
  holdOpen?: boolean;
}

interface OpenFile {
  fh: FileHandle;
  fileId: string;
}

/** Where a poll reads from, and whether that is a new position the sink must hear of first. */
interface Placement {
  position: TailPosition;
  moved: boolean;
  report: TailReport | null;
}

const LF = 0x0a;
const DEFAULT_POLL_MS = 1000;
const DEFAULT_CHUNK_BYTES = 512 * 1024;

/** Tails one log file by polling, handing complete lines to a sink; see the file comment for what it guarantees. */
export class LogTailer {
  readonly path: string;
  private readonly sink: TailSink;
  private readonly onReport: (report: TailReport) => void;
  private readonly chunkBytes: number;
  private readonly startAt: 'beginning' | 'end';
  private readonly holdOpen: boolean;
  private readonly maxInFlight: number;
  private readonly loop: PollLoop;

  // The position the sink has taken everything before (null until the first file was placed).
  private cp: TailPosition | null;
  private file: OpenFile | null = null;
  // `startAt: 'end'` skips the history of the first file seen, not of one that appears later.
  private skipHistory: boolean;
  private missingReported = false;
  private errorReported = false;
  // Bytes of a rotated-away file read since our last poll of it, for the `replaced` report.
  private drainedBytes = 0;

  constructor(options: TailerOptions) {
    this.path = options.path;
    this.sink = options.sink;
    this.onReport = options.onReport ?? (() => undefined);
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.startAt = options.startAt ?? 'beginning';
    this.holdOpen = options.holdOpen ?? true;
    this.maxInFlight = options.maxInFlight ?? 1;
    if (
      !Number.isInteger(this.chunkBytes) ||
      this.chunkBytes < 1 ||
      !Number.isInteger(this.maxInFlight) ||
      this.maxInFlight < 1 ||
      !(pollMs >= 1)
    ) {
      const got = `chunkBytes ${this.chunkBytes}, maxInFlight ${this.maxInFlight}, pollMs ${pollMs}`;
      throw makeError('CONFIG_INVALID', [
        `tail chunkBytes and maxInFlight must be positive integers and pollMs >= 1, got ${got}`,
      ]);
    }
    const start = options.start ?? null;
    // A position of another path (configuration changed) says nothing about this file.
    this.cp = start !== null && samePath(start.path, this.path) ? { ...start, path: this.path } : null;
    this.skipHistory = this.cp === null && this.startAt === 'end';
    this.loop = new PollLoop(pollMs, () => this.pollOnce());
  }

  /** Current lifecycle state. */
  get state(): TailState {
    return this.loop.state;
  }

  /** The position the sink has taken every byte before (null before the first file was placed). */
  get position(): TailPosition | null {
    return this.cp === null ? null : { ...this.cp };
  }

  /** Starts polling; the first poll is queued before this resolves. Idempotent while running. */
  start(): Promise<void> {
    return this.loop.start(() => Promise.resolve());
  }

  /** Runs one poll now (after any poll in progress); for tests and the simulator. */
  pollNow(): Promise<void> {
    return this.loop.pollNow();
  }

  /** Stops polling: waits for the read in flight (and the sink's answers to it), closes the file. Idempotent. */
  stop(): Promise<void> {
    return this.loop.stop(() => this.closeFile());
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.poll();
      this.errorReported = false;
    } catch (err) {
      // One report per streak of failures: a locked file must not flood the log once a second.
      if (!this.errorReported) this.report({ kind: 'error', path: this.path, error: asFileError(err, this.path) });
      this.errorReported = true;
    } finally {
      if (!this.holdOpen) await this.closeFile();
    }
  }

  private async poll(): Promise<void> {
    const st = await this.statPath();
    const pathId = st === null ? null : fileIdOf(st);
    if (this.file !== null && this.file.fileId !== pathId) {
      // Renamed or deleted under us: the open handle still reaches the old file, finish it first, durably: after a
      // crash it could not be read again.
      await this.drainOpenFile();
      await this.sink.flush?.();
      await this.closeFile();
    }
    if (st === null) {
      this.skipHistory = false;
      if (!this.missingReported) this.report({ kind: 'missing', path: this.path });
      this.missingReported = true;
      return;
    }
    this.missingReported = false;
    this.file ??= await this.openFile();
    const file = this.file;
    // Head before size: a truncation racing with this poll then shows as size < offset, not as a new head.
    const head = await readAt(file.fh, HEAD_BYTES, 0);
    const size = Number((await file.fh.stat({ bigint: true })).size);
    const placed = await this.place(file, size, head);
    if (placed.moved) {
      if (placed.report !== null) this.report(placed.report);
      await this.sink.moved(placed.position, placed.report);
      if (placed.report?.kind === 'replaced') this.drainedBytes = 0;
    }
    this.cp = placed.position;
    this.skipHistory = false;
    const bytes = await this.readOn(file, false, size);
    await this.sink.flush?.();
    // A backlog worked through: worth a line in the agent's log (ordinary appends are not).
    if (bytes > this.chunkBytes) this.report({ kind: 'caught_up', path: this.path, offset: this.cp.offset, bytes });
  }

  // Decides where to read the file from and why, when it is not where we left off.
  private async place(file: OpenFile, size: number, head: Buffer): Promise<Placement> {
    const { fileId } = file;
    const cp = this.cp;
    if (cp === null) {
      const offset = this.skipHistory ? await this.lineStartBefore(file, size) : 0;
      return { position: this.fresh(fileId, head, offset), moved: true, report: null };
    }
    if (cp.fileId !== fileId) {
      const report: TailReport = {
        kind: 'replaced',
        path: this.path,
        reason: 'file_id',
        drainedBytes: this.drainedBytes,
      };
      return { position: this.fresh(fileId, head, 0), moved: true, report };
    }
    if (size < cp.offset) {
      const report: TailReport = { kind: 'truncated', path: this.path, previousOffset: cp.offset, size };
      return { position: this.fresh(fileId, head, 0), moved: true, report };
    }
    if (hashHead(head.subarray(0, cp.headLength)) !== cp.headHash) {
      const report: TailReport = { kind: 'replaced', path: this.path, reason: 'head', drainedBytes: 0 };
      return { position: this.fresh(fileId, head, 0), moved: true, report };
    }
    // The file was shorter than HEAD_BYTES when first seen: widen the head now that it grew (it goes to the sink
    // with the next chunk; until then the narrower one still holds).
    if (cp.headLength < head.length) {
      return { position: { ...cp, headLength: head.length, headHash: hashHead(head) }, moved: false, report: null };
    }
    return { position: cp, moved: false, report: null };
  }

  private fresh(fileId: string, head: Buffer, offset: number): TailPosition {
    return { path: this.path, fileId, offset, headHash: hashHead(head), headLength: head.length };
  }

  // Start of the line in progress at the end of the file, so `startAt: 'end'` never begins mid-line.
  private async lineStartBefore(file: OpenFile, size: number): Promise<number> {
    if (size === 0) return size;
    const len = Math.min(this.chunkBytes, size);
    const tail = await readAt(file.fh, len, size - len);
    const lf = tail.lastIndexOf(LF);
    return lf < 0 ? size : size - len + lf + 1;
  }

  // Reads from the position to `size` (the file's size when this poll looked; more waits for the next poll);
  // `final` also hands over a last unterminated line. Resolves once the sink took every chunk it handed out.
  private async readOn(file: OpenFile, final: boolean, size: number): Promise<number> {
    const base = this.cp;
    if (base === null) return 0;
    let pos = base.offset;
    let delivered = 0;
    const inFlight: Promise<void>[] = [];
    let previous: Promise<void> = Promise.resolve();
    let failure: { err: unknown } | null = null;
    try {
      while (!this.loop.stopRequested) {
        const want = Math.min(this.chunkBytes, size - pos);
        if (want <= 0) break;
        // A fresh buffer per read, sized to what is there: the sink may keep it without a copy, and an idle tail
        // holds no chunk-sized buffer between polls.
        const buf = await readAt(file.fh, want, pos);
        if (buf.length === 0) break;
        const atEnd = buf.length < want || pos + buf.length >= size;
        let take = buf.lastIndexOf(LF) + 1;
        // A line longer than a whole chunk goes in pieces; the last line of a file rotated away goes as it is.
        if ((final && atEnd) || (take === 0 && buf.length === this.chunkBytes)) take = buf.length;
        if (take === 0) break; // only a partial line is left: wait for its LF
        pos += take;
        delivered += take;
        const chunk = take === buf.length ? buf : buf.subarray(0, take);
        previous = this.deliver(chunk, { ...base, offset: pos }, previous);
        inFlight.push(previous);
        // Backpressure on the sink: at most maxInFlight chunks it has not taken yet.
        if (inFlight.length >= this.maxInFlight) await inFlight.shift();
        if (atEnd) break;
      }
    } catch (err) {
      failure = { err };
    }
    // Every chunk handed out settles before the poll ends.
    for (const r of await Promise.allSettled(inFlight)) {
      if (failure === null && r.status === 'rejected') failure = { err: r.reason };
    }
    if (failure !== null) throw failure.err;
    return delivered;
  }

  private async drainOpenFile(): Promise<void> {
    const file = this.file;
    const cp = this.cp;
    if (file === null || cp === null || cp.fileId !== file.fileId) return;
    const size = Number((await file.fh.stat({ bigint: true })).size);
    if (size < cp.offset) return; // truncated before it went away: nothing of ours is left in it
    this.drainedBytes += await this.readOn(file, true, size);
  }

  // Hands a chunk to the sink now; the returned promise settles once the sink took it and every chunk before it,
  // and the position moved past it. A chunk whose sink failed keeps every later one from moving it.
  private deliver(buf: Buffer, position: TailPosition, previous: Promise<void>): Promise<void> {
    let sunk: Promise<void>;
    try {
      sunk = this.sink.chunk(buf, position);
    } catch (err) {
      sunk = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // Observed here too: when an earlier chunk failed, this one's outcome is never awaited.
    sunk.catch(() => undefined);
    const accepted = previous
      .then(() => sunk)
      .then(
        () => {
          this.cp = position;
        },
        (err: unknown) => {
          throw isWuwatchError(err)
            ? err
            : makeError('INTERNAL', [`the log sink rejected a chunk: ${String(err)}`], undefined, err);
        },
      );
    // readOn awaits it, but may be reading the next chunk when it fails: mark it observed now.
    accepted.catch(() => undefined);
    return accepted;
  }

  private async statPath(): Promise<BigIntStats | null> {
    try {
      return await stat(this.path, { bigint: true });
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      // A delete-pending file on older Windows fails stat with EPERM; let go of our handle so the
      // writer can create the file again, finishing what we can read first.
      if (this.file !== null) {
        await this.drainOpenFile().catch(() => undefined);
        await this.sink.flush?.().catch(() => undefined);
        await this.closeFile();
      }
      throw err;
    }
  }

  private async openFile(): Promise<OpenFile> {
    const fh = await open(this.path, 'r');
    try {
      return { fh, fileId: fileIdOf(await fh.stat({ bigint: true })) };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = null;
    if (file !== null) await file.fh.close().catch(() => undefined);
  }

  private report(report: TailReport): void {
    try {
      this.onReport(report);
    } catch {
      // A failing report listener must not stop the tail.
    }
  }
}

function asFileError(err: unknown, path: string): WuwatchError {
  if (isWuwatchError(err)) return err;
  return makeError('FILE_UNREADABLE', [path], { code: errCode(err) ?? null }, err);
}
