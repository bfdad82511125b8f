/**
 * Polling tail of the legacy WindowsUpdate.log (no fs.watch: it is unreliable on Windows system folders
 * and for files other processes append to).
 *
 * What is guaranteed (and tested):
 * - The sink receives the bytes of each file in order, each byte once, in chunks of at most `chunkBytes`
 *   that end after an LF. A trailing line without LF is held back until its LF arrives. Exceptions: a
 *   line longer than `chunkBytes` is delivered in pieces, and the last unterminated line of a file that
 *   was rotated away is delivered as it is (no LF will ever come).
 * - The checkpoint moves only after the sink's promise resolves (for that chunk and every earlier one), so a
 *   restart continues exactly after the last accepted chunk. A crash between a sink resolving and its save
 *   finishing repeats the chunks not yet checkpointed (at-least-once at the crash boundary, exactly-once
 *   otherwise): at most `maxInFlight` of them, plus up to `checkpointEveryBytes` and a chunk while catching up.
 * - Each poll reads up to the size the file had when the poll looked; what is appended meanwhile waits for
 *   the next poll.
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
import type { Checkpoint, CheckpointStore } from './checkpoint.js';
import { errCode, readAt, samePath } from './files.js';
import { fileIdOf, hashHead, HEAD_BYTES } from './identity.js';

/** Lifecycle of a tailer: idle until started, reading (polling) until stopped. */
export type TailState = 'idle' | 'reading' | 'stopped';

/** Something the operator may want to know about the tailed file. */
export type TailReport =
  | { kind: 'missing'; path: string }
  | { kind: 'truncated'; path: string; previousOffset: number; size: number }
  | { kind: 'replaced'; path: string; reason: 'file_id' | 'head'; drainedBytes: number }
  | { kind: 'error'; path: string; error: WuwatchError };

/** Metadata handed to the sink with each chunk. */
export interface ChunkMeta {
  /** File offset just past the chunk; the checkpoint will hold it once the sink resolves. */
  offsetAfter: number;
  /** Identity (`dev:ino`) of the file the chunk came from. */
  fileId: string;
}

/** Receives chunks; the tailer waits for the promise before reading on (backpressure). */
export type ChunkSink = (buf: Buffer, meta: ChunkMeta) => Promise<void>;

/** Options of {@link LogTailer}. */
export interface TailerOptions {
  path: string;
  store: CheckpointStore;
  onChunk: ChunkSink;
  onReport?: (report: TailReport) => void;
  /** Poll interval (default 1000 ms). */
  pollMs?: number;
  /** Largest chunk handed to the sink (default 512 KiB). */
  chunkBytes?: number;
  /**
   * Chunks handed to the sink before the first of them resolved (default 1). With 2 the sink is given chunk N+1
   * while chunk N is still being made durable, so its CPU work overlaps N's disk writes; checkpoints still move in
   * order, each only once its own chunk and every earlier one resolved.
   */
  maxInFlight?: number;
  /**
   * While a poll reads on, a checkpoint save is asked for by the chunk that brings the bytes handed over since the
   * last such chunk to at least this many, and always when the poll ends (default 0: after every chunk). A save is
   * a file write, an fsync and a rename; spacing them out while catching up keeps the disk work per megabyte down,
   * at the price of re-reading after a crash up to this many bytes plus a chunk, on top of the chunks in flight.
   */
  checkpointEveryBytes?: number;
  /** Without any checkpoint: read the existing file from its start (default) or only what comes next. */
  startAt?: 'beginning' | 'end';
  /** Keep the file open between polls so a rotated-away file can be finished (default true). */
  holdOpen?: boolean;
}

interface OpenFile {
  fh: FileHandle;
  fileId: string;
}

const LF = 0x0a;
const DEFAULT_POLL_MS = 1000;
const DEFAULT_CHUNK_BYTES = 512 * 1024;

/** Tails one log file by polling, handing complete lines to a sink and checkpointing what it accepted. */
export class LogTailer {
  readonly path: string;
  private readonly store: CheckpointStore;
  private readonly onChunk: ChunkSink;
  private readonly onReport: (report: TailReport) => void;
  private readonly pollMs: number;
  private readonly chunkBytes: number;
  private readonly startAt: 'beginning' | 'end';
  private readonly holdOpen: boolean;
  private readonly maxInFlight: number;
  private readonly checkpointEveryBytes: number;

  private current: TailState = 'idle';
  private cp: Checkpoint | null = null;
  private skipHistory = false;
  private dirty = false;
  private file: OpenFile | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private started: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private stopRequested = false;
  private missingReported = false;
  private errorReported = false;
  private drainedBytes = 0;
  // Settles once the last chunk handed to the sink was accepted (see deliver); the next one moves after it.
  private lastAccepted: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  // Chunks handed to the sink in this poll and not checkpointed yet, in file order; `accepted` once their sink
  // resolved.
  private unsaved: { offsetAfter: number; accepted: boolean }[] = [];
  // Bytes handed to the sink in this poll since the last chunk that asked for a save.
  private bytesSinceSave = 0;

  constructor(options: TailerOptions) {
    this.path = options.path;
    this.store = options.store;
    this.onChunk = options.onChunk;
    this.onReport = options.onReport ?? (() => undefined);
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.startAt = options.startAt ?? 'beginning';
    this.holdOpen = options.holdOpen ?? true;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.checkpointEveryBytes = options.checkpointEveryBytes ?? 0;
    if (
      !Number.isInteger(this.checkpointEveryBytes) ||
      this.checkpointEveryBytes < 0 ||
      !Number.isInteger(this.chunkBytes) ||
      this.chunkBytes < 1 ||
      !Number.isInteger(this.maxInFlight) ||
      this.maxInFlight < 1 ||
      !(this.pollMs >= 1)
    ) {
      const got = `chunkBytes ${this.chunkBytes}, maxInFlight ${this.maxInFlight}, pollMs ${this.pollMs}, checkpointEveryBytes ${this.checkpointEveryBytes}`;
      throw makeError('CONFIG_INVALID', [
        `tail chunkBytes and maxInFlight must be positive integers, pollMs >= 1 and checkpointEveryBytes an integer >= 0, got ${got}`,
      ]);
    }
  }

  /** Current lifecycle state. */
  get state(): TailState {
    return this.current;
  }

  /** The checkpoint as the tailer currently sees it (null before the first file was opened). */
  get checkpoint(): Checkpoint | null {
    return this.cp === null ? null : { ...this.cp };
  }

  /** Loads the checkpoint and starts polling; resolves once loaded. Idempotent while running. */
  start(): Promise<void> {
    if (this.stopRequested) {
      return Promise.reject(makeError('INTERNAL', ['a stopped log tailer was started again; create a new one']));
    }
    if (this.started !== null) return this.started;
    this.current = 'reading';
    // The first poll is queued before start() resolves, so a pollNow() that follows runs after it.
    this.started = this.loadCheckpoint().then(() => {
      void this.enqueuePoll().then(() => this.schedule(this.pollMs));
    });
    return this.started;
  }

  /** Runs one poll now (after any poll in progress); for tests and the simulator. */
  async pollNow(): Promise<void> {
    if (this.started === null) throw makeError('INTERNAL', ['pollNow() called before start()']);
    await this.started;
    await this.enqueuePoll();
  }

  /** Stops polling: waits for the read in flight, saves the checkpoint, closes the file. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.stopRequested = true;
    this.clearTimer();
    this.stopping = (async () => {
      await this.started;
      await this.chain;
      this.clearTimer();
      try {
        if (this.dirty && this.cp !== null) await this.saveCheckpoint();
      } catch (err) {
        this.report({ kind: 'error', path: this.path, error: asFileError(err, this.path) });
      } finally {
        await this.closeFile();
        this.current = 'stopped';
      }
    })();
    return this.stopping;
  }

  private async loadCheckpoint(): Promise<void> {
    try {
      const cp = await this.store.load();
      // A checkpoint of another path (configuration changed) says nothing about this file.
      this.cp = cp !== null && samePath(cp.path, this.path) ? { ...cp, path: this.path } : null;
    } catch (err) {
      this.report({ kind: 'error', path: this.path, error: asFileError(err, this.path) });
      this.cp = null;
    }
    this.skipHistory = this.cp === null && this.startAt === 'end';
  }

  private schedule(delayMs: number): void {
    if (this.stopRequested) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.enqueuePoll().then(() => this.schedule(this.pollMs));
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  // Polls from the timer and from pollNow() run one after another, never interleaved.
  private enqueuePoll(): Promise<void> {
    const next = this.chain.then(() => this.pollOnce());
    this.chain = next;
    return next;
  }

  private async pollOnce(): Promise<void> {
    if (this.stopRequested) return;
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
      // Renamed or deleted under us: the open handle still reaches the old file, finish it first.
      await this.drainOpenFile();
      await this.closeFile();
    }
    if (st === null) {
      this.skipHistory = false; // a file that appears later has no history to skip
      if (!this.missingReported) this.report({ kind: 'missing', path: this.path });
      this.missingReported = true;
      return;
    }
    this.missingReported = false;
    this.file ??= await this.openFile();
    const { fh, fileId } = this.file;
    // Head before size: a truncation racing with this poll then shows as size < offset, not as a new head.
    const head = await readAt(fh, HEAD_BYTES, 0);
    const size = Number((await fh.stat({ bigint: true })).size);
    this.cp = await this.position(fileId, size, head);
    // A new position (a new file, a widened head) is saved before anything of it is read, so a crash while its
    // first chunks are handed over finds a checkpoint for it.
    if (this.dirty) await this.saveInOrder();
    await this.readOn(this.file, false, size);
  }

  // Decides where to read the file from and reports why when it is not where we left off.
  private async position(fileId: string, size: number, head: Buffer): Promise<Checkpoint> {
    const cp = this.cp;
    if (cp === null) {
      const offset = this.skipHistory ? await this.lineStartBefore(size) : 0;
      this.skipHistory = false;
      return this.fresh(fileId, head, offset);
    }
    if (cp.fileId !== fileId) {
      this.report({ kind: 'replaced', path: this.path, reason: 'file_id', drainedBytes: this.drainedBytes });
      this.drainedBytes = 0;
      return this.fresh(fileId, head, 0);
    }
    if (size < cp.offset) {
      this.report({ kind: 'truncated', path: this.path, previousOffset: cp.offset, size });
      return this.fresh(fileId, head, 0);
    }
    if (hashHead(head.subarray(0, cp.headLength)) !== cp.headHash) {
      this.report({ kind: 'replaced', path: this.path, reason: 'head', drainedBytes: 0 });
      return this.fresh(fileId, head, 0);
    }
    if (cp.headLength < head.length) {
      // The file was shorter than HEAD_BYTES when first seen: widen the head now that it grew.
      this.dirty = true;
      return { ...cp, headLength: head.length, headHash: hashHead(head) };
    }
    return cp;
  }

  private fresh(fileId: string, head: Buffer, offset: number): Checkpoint {
    this.dirty = true;
    return { path: this.path, fileId, offset, headHash: hashHead(head), headLength: head.length };
  }

  // Start of the line in progress at the end of the file, so `startAt: 'end'` never begins mid-line.
  private async lineStartBefore(size: number): Promise<number> {
    const file = this.file;
    if (file === null || size === 0) return size;
    const len = Math.min(this.chunkBytes, size);
    const tail = await readAt(file.fh, len, size - len);
    const lf = tail.lastIndexOf(LF);
    return lf < 0 ? size : size - len + lf + 1;
  }

  // Reads from the checkpoint to `size` (the file's size when this poll looked; more waits for the next poll);
  // `final` also hands over a last unterminated line. Resolves once every chunk it handed out was checkpointed.
  private async readOn(file: OpenFile, final: boolean, size: number): Promise<number> {
    if (this.cp === null) return 0;
    let pos = this.cp.offset;
    let delivered = 0;
    const inFlight: Promise<void>[] = [];
    const saves: Promise<void>[] = [];
    this.lastAccepted = Promise.resolve(); // whatever an earlier poll handed out has settled
    this.unsaved = [];
    this.bytesSinceSave = 0;
    let failure: { err: unknown } | null = null;
    try {
      while (!this.stopRequested) {
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
        const { accepted, saved } = this.deliver(take === buf.length ? buf : buf.subarray(0, take), pos, file.fileId);
        inFlight.push(accepted);
        saves.push(saved);
        // Backpressure on the sink, not on checkpoint writes: those coalesce behind it.
        if (inFlight.length >= this.maxInFlight) await inFlight.shift();
        if (atEnd) break;
      }
    } catch (err) {
      failure = { err };
    }
    // Every chunk handed out settles before the poll ends, so no checkpoint save outlives it; what was accepted
    // since the last save (saves are spaced by checkpointEveryBytes) is saved now.
    const settled = await Promise.allSettled([...inFlight, ...saves]);
    if (this.dirty) settled.push(...(await Promise.allSettled([this.saveInOrder()])));
    for (const r of settled) if (failure === null && r.status === 'rejected') failure = { err: r.reason };
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

  // Hands a chunk to the sink now; the returned promise settles once the chunk, and every chunk before it, was
  // accepted and the checkpoint moved past it. A chunk whose sink failed stops every later one from moving it.
  private deliver(buf: Buffer, offsetAfter: number, fileId: string): { accepted: Promise<void>; saved: Promise<void> } {
    let sunk: Promise<void>;
    try {
      sunk = this.onChunk(buf, { offsetAfter, fileId });
    } catch (err) {
      sunk = Promise.reject(err);
    }
    const previous = this.lastAccepted;
    const entry = { offsetAfter, accepted: false };
    this.unsaved.push(entry);
    // Accepted: this chunk's sink and every earlier one resolved, and the checkpoint moved past it in memory. A later
    // chunk waits for this, not for the save, so a failed save never makes a chunk the sink took go round again.
    const accepted = (async () => {
      try {
        await sunk;
      } catch (err) {
        throw isWuwatchError(err)
          ? err
          : makeError('INTERNAL', [`the log sink rejected a chunk: ${String(err)}`], undefined, err);
      }
      entry.accepted = true;
      await previous;
      if (this.cp === null || this.cp.offset >= offsetAfter) return false; // moved already with an earlier chunk
      // Later chunks whose sinks resolved meanwhile move with it: when the disk is the bottleneck, one checkpoint
      // write covers them all.
      let upTo = offsetAfter;
      while (this.unsaved[0]?.accepted === true) upTo = this.unsaved.shift()!.offsetAfter;
      this.cp = { ...this.cp, offset: upTo };
      this.dirty = true;
      return true;
    })();
    this.lastAccepted = accepted.then(() => undefined);
    this.bytesSinceSave += buf.length;
    const saveNow = this.bytesSinceSave >= this.checkpointEveryBytes;
    if (saveNow) this.bytesSinceSave = 0;
    // Also when an earlier chunk's acceptance already moved the checkpoint past this one (sinks resolving out of
    // order): that one did not save, so this one does; saveInOrder does nothing if nothing is left to save.
    const saved = accepted.then(() => (saveNow ? this.saveInOrder() : undefined));
    // readOn awaits both, but may be reading the next chunk when one fails: mark them observed now.
    this.lastAccepted.catch(() => undefined);
    saved.catch(() => undefined);
    return { accepted: this.lastAccepted, saved };
  }

  // Saves run one after another (a failed one does not stop the next), each writing the checkpoint as it is then.
  private saveInOrder(): Promise<void> {
    const run = this.saving.then(() => (this.dirty ? this.saveCheckpoint() : undefined));
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async saveCheckpoint(): Promise<void> {
    if (this.cp === null) return;
    const cp = { ...this.cp };
    await this.store.save(cp);
    // Clean only if nothing moved while this save was being written.
    if (this.cp?.offset === cp.offset && this.cp.fileId === cp.fileId) this.dirty = false;
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
