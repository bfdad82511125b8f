/**
 * What the agent does with the log tail's chunks: parse them, put the findings in the spool, and record for each
 * chunk the progress its checkpoint saves (parser state, seq of the last log event spooled).
 *
 * Exactly once across a crash: a chunk's events reach the spool before its checkpoint is written, so an agent killed
 * in between re-reads the chunks after the checkpoint. The parser goes on from the state saved with the checkpoint
 * and is deterministic, so the re-read yields the same events in the same order; the spool still holds those that
 * made it before the crash (seqs after the checkpoint's `logSeq`), and that many are not spooled again. If the
 * spool no longer holds some of them (acknowledged and deleted in the moment before the crash) fewer are skipped:
 * a repeat, never a loss.
 *
 * A chunk that fails (the spool could not write it) fails every chunk after it without spooling anything, so the
 * spool never holds a later chunk's events without the earlier one's. The tailer then hands over the failed chunk
 * again; it does not start where the parser stands, so the parser goes back to the state recorded for where it does
 * start (the end of the last chunk that was spooled, or the start of the file or of this run) and nothing is skipped.
 * Events that end a file (truncated, replaced) whose append failed go out with the next chunk's.
 *
 * A new file gets its checkpoint at offset 0 (the tailer saves a fresh position before it reads) with the seq of the
 * last log event spooled before it, once that is on disk, so a crash during the first chunks of a file is resumed
 * like any other.
 */
import { join } from 'node:path';
import { makeError, WuLogParser, type Finding, type ParserState, type WireEvent } from '@wuwatch/core';
import type { Logger } from 'pino';
import type { ChunkMeta, TailReport } from '../tail/index.js';
import type { SpoolInput } from '../spool/index.js';
import { ParserCheckpointStore, type TailProgress } from './parser-checkpoint.js';
import { logFindingToEvent } from './to-events.js';

/** What a {@link LogSink} needs, passed in. */
export interface LogSinkDeps {
  stateDir: string;
  /** UTC offset of log timestamps in minutes (east positive). */
  offsetMinutes: number;
  /** Appends to the spool (in call order); resolves with the stored events once on disk. */
  append: (events: SpoolInput[]) => Promise<WireEvent[]>;
  /** The seqs, in order, of the log events the spool holds with seq > `seq`. */
  spooledLogEventsAfter: (seq: number) => Promise<number[]>;
  /** The spool's last seq when the agent started: every log event spooled before is at or below it. */
  initialLogSeq: number;
  log: Logger;
}

/** Parses tail chunks into spooled events and keeps the checkpoint's progress; see the file comment. */
export class LogSink {
  /** The checkpoint store to give the tailer. */
  readonly store: ParserCheckpointStore;
  private readonly findings: Finding[] = [];
  private parser: WuLogParser;
  // Where the parser stands: the end of the last chunk it was given (null: a new file, nothing read yet).
  private at: { fileId: string; offset: number } | null = null;
  private started = false;
  // Seqs of spooled events a re-read repeats, known once `skipReady` settles; used up in chunk order.
  private skipSeqs: number[] = [];
  private skipReady: Promise<void> = Promise.resolve();
  // Seq of the last log event spooled as of the latest chunk; rejects from a failed chunk on, until a rewind.
  private lastLogSeq: Promise<number>;
  private logSeqNow: number;
  // Events that end a file, not spooled yet because their append failed.
  private unsent: SpoolInput[] = [];

  constructor(private readonly deps: LogSinkDeps) {
    this.parser = this.newParser();
    this.logSeqNow = deps.initialLogSeq;
    this.lastLogSeq = Promise.resolve(deps.initialLogSeq);
    this.store = new ParserCheckpointStore(join(deps.stateDir, 'tail-checkpoint.json'), () => this.progressNow());
  }

  // Asked only for an offset with nothing recorded, saved or loaded: before the first chunk of a run (a checkpoint
  // in an older format), or the start of a new file. The log seq counts once what was spooled is on disk.
  private async progressNow(): Promise<TailProgress> {
    if (!this.started) return { parser: this.store.loadedState, logSeq: this.deps.initialLogSeq };
    const logSeq = await this.lastLogSeq.catch(() => this.logSeqNow);
    return { parser: this.at === null ? null : this.parser.snapshot(), logSeq };
  }

  /** The tailer's sink: parses the chunk now, resolves once its events are on disk and its progress recorded. */
  async onChunk(buf: Buffer, meta: ChunkMeta): Promise<void> {
    const start = meta.offsetAfter - buf.length;
    if (!this.started) {
      this.started = true;
      this.resume(meta.fileId, start);
    } else if (this.at !== null && (this.at.fileId !== meta.fileId || this.at.offset !== start)) {
      this.rewind(meta.fileId, start);
    }
    if (this.store.progressFor(meta.fileId, start) === null) {
      // Where this run or file starts, if no checkpoint says it: a failed first chunk is read again from here.
      const parser = start === 0 ? null : this.parser.snapshot();
      this.store.progressAt(meta.fileId, start, { parser, logSeq: this.logSeqNow });
    }
    this.parser.push(buf);
    this.at = { fileId: meta.fileId, offset: meta.offsetAfter };
    const parser = this.parser.snapshot();
    const logSeq = await this.spool(this.drain(), true);
    this.store.progressAt(meta.fileId, meta.offsetAfter, { parser, logSeq });
  }

  /** The tailer's report listener: a truncated or replaced file ends the old file's open cycles. */
  onReport(report: TailReport): void {
    if (report.kind !== 'truncated' && report.kind !== 'replaced') return;
    // Seen at the first poll, the file changed while the agent was down: its state at the checkpoint is not ended
    // here, since the run before may have spooled the rest of that file after its last checkpoint.
    this.started = true;
    // A new file: cycles left open in the old one end there, and line numbers restart.
    this.parser.end();
    const events = this.drain();
    this.parser = this.newParser();
    this.at = null;
    this.store.clearPending();
    this.skipSeqs = [];
    // A chunk of the old file that failed stays unspooled; the new file starts from what is known to be spooled.
    this.lastLogSeq = this.lastLogSeq.catch(() => this.logSeqNow);
    this.spool(events, false).catch((err: unknown) => {
      this.deps.log.warn({ err }, 'could not spool the end of the old log file; it goes with the next chunk');
    });
  }

  private newParser(): WuLogParser {
    return new WuLogParser({ onFinding: (f) => this.findings.push(f) });
  }

  private drain(): SpoolInput[] {
    const now = new Date();
    return this.findings.splice(0).map((f) => logFindingToEvent(f, this.deps.offsetMinutes, now));
  }

  // The first chunk of this run: going on from the saved checkpoint, the parser from the state saved with it (open
  // cycles, line count), and what the spool holds from after it is counted.
  private resume(fileId: string, start: number): void {
    const { store } = this;
    const log = this.deps.log;
    if (store.loadProblem !== null) {
      const err = makeError('WULOG_STATE_INVALID', [store.loadProblem]);
      log.warn({ err }, err.message);
    }
    const progress = store.progressFor(fileId, start);
    if (progress !== null) {
      if (start > 0) log.info({ offset: start }, 'log parser resumed from its checkpoint');
      this.restart(progress.parser, progress.logSeq, true);
    } else if (start > 0 && store.loadedState !== null) {
      // A checkpoint from before the log seq was saved: go on from its state, without knowing what is spooled.
      log.info({ offset: start }, 'log parser resumed from its checkpoint');
      this.restart(store.loadedState, this.deps.initialLogSeq, false);
    }
  }

  // The chunk does not start where the parser stands: an earlier chunk failed and the tailer reads again from the
  // end of the last one spooled. Nothing after that was spooled (a failure stops every later chunk), so nothing is
  // skipped, and the log seq stays what was spooled.
  private rewind(fileId: string, start: number): void {
    const progress = start === 0 ? { parser: null } : this.store.progressFor(fileId, start);
    if (progress === null) {
      // Not expected: the start of every chunk the tailer can read again from has its state kept.
      this.deps.log.error({ fileId, offset: start }, 'log tail: no parser state for where the re-read starts');
    } else {
      this.deps.log.info({ offset: start }, 'log tail: reading again after a failed chunk');
      this.parser = this.newParser();
      if (progress.parser !== null) this.parser.restore(progress.parser);
    }
    this.skipSeqs = [];
    this.lastLogSeq = this.lastLogSeq.catch(() => this.logSeqNow);
  }

  // A parser from `state` (null: a new one), the log seq from `logSeq`, and (with `count`) the spooled events the
  // re-read repeats.
  private restart(state: ParserState | null, logSeq: number, count: boolean): void {
    this.parser = this.newParser();
    if (state !== null) this.parser.restore(state);
    this.lastLogSeq = Promise.resolve(logSeq);
    this.skipSeqs = [];
    if (!count) return;
    const log = this.deps.log;
    // Awaited by the next chunks before anything else, so the count is in place before they spool.
    this.skipReady = this.skipReady.then(() =>
      this.deps.spooledLogEventsAfter(logSeq).then(
        (seqs) => {
          this.skipSeqs = seqs;
          if (seqs.length > 0) log.info({ events: seqs.length }, 'log events already spooled are not spooled again');
        },
        (err: unknown) =>
          log.warn({ err }, 'could not count the log events already spooled; the re-read may repeat some'),
      ),
    );
  }

  // Spools events in call order, each after the one before it succeeded, dropping what a re-read repeats; resolves
  // with the seq of the last log event spooled. Every call's continuation runs after the one before it, as all
  // await `skipReady`, so the skip is used up in order.
  private spool(events: SpoolInput[], fromChunk: boolean): Promise<number> {
    const previous = this.lastLogSeq;
    const done = this.skipReady.then(async () => {
      let fresh = events;
      let skippedSeq = 0;
      if (fromChunk) {
        const n = Math.min(this.skipSeqs.length, events.length);
        if (n > 0) {
          skippedSeq = this.skipSeqs[n - 1]!;
          this.skipSeqs = this.skipSeqs.slice(n);
          fresh = events.slice(n);
        }
      }
      const before = await previous; // an earlier chunk failed: this one fails too, spooling nothing
      // End-of-file events whose append failed go first (they come before anything of the new file).
      const carried = this.unsent;
      this.unsent = [];
      const batch = carried.length === 0 ? fresh : [...carried, ...fresh];
      let stored: WireEvent[];
      try {
        stored = batch.length === 0 ? [] : await this.deps.append(batch);
      } catch (err) {
        this.unsent = fromChunk ? carried : batch;
        throw err;
      }
      const seq = Math.max(before, skippedSeq, stored.at(-1)?.seq ?? 0);
      this.logSeqNow = Math.max(this.logSeqNow, seq);
      return seq;
    });
    this.lastLogSeq = done;
    // Later calls see a failure through `lastLogSeq`; this copy only keeps it from going unobserved.
    done.catch(() => undefined);
    return done;
  }
}
