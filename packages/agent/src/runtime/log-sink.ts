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
 */
import { join } from 'node:path';
import { makeError, WuLogParser, type Finding, type WireEvent } from '@wuwatch/core';
import type { Logger } from 'pino';
import type { ChunkMeta, TailReport } from '../tail/index.js';
import type { SpoolInput } from '../spool/index.js';
import { ParserCheckpointStore } from './parser-checkpoint.js';
import { logFindingToEvent } from './to-events.js';

/** What a {@link LogSink} needs, passed in. */
export interface LogSinkDeps {
  stateDir: string;
  /** UTC offset of log timestamps in minutes (east positive). */
  offsetMinutes: number;
  /** Appends to the spool (in call order); resolves with the stored events once on disk. */
  append: (events: SpoolInput[]) => Promise<WireEvent[]>;
  /** How many log events the spool holds with seq > `seq`. */
  spooledLogEventsAfter: (seq: number) => Promise<number>;
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
  private resumed = false;
  // Events of re-read chunks still to drop, known once `skipReady` settles; applied in chunk order.
  private skipLeft = 0;
  private skipReady: Promise<void> = Promise.resolve();
  // Seq of the last log event spooled, as of the latest chunk: each chunk's value follows the one before it.
  private lastLogSeq: Promise<number>;
  private logSeqNow: number;

  constructor(private readonly deps: LogSinkDeps) {
    this.parser = this.newParser();
    this.logSeqNow = deps.initialLogSeq;
    this.lastLogSeq = Promise.resolve(deps.initialLogSeq);
    this.store = new ParserCheckpointStore(join(deps.stateDir, 'tail-checkpoint.json'), () => ({
      parser: this.parser.snapshot(),
      logSeq: this.logSeqNow,
    }));
  }

  /** The tailer's sink: parses the chunk now, resolves once its events are on disk and its progress recorded. */
  async onChunk(buf: Buffer, meta: ChunkMeta): Promise<void> {
    if (!this.resumed) {
      this.resumed = true;
      if (meta.offsetAfter - buf.length > 0) this.resume();
    }
    this.parser.push(buf);
    const parser = this.parser.snapshot();
    const logSeq = await this.spool(this.drain(), true);
    this.store.progressAt(meta.fileId, meta.offsetAfter, { parser, logSeq });
  }

  /** The tailer's report listener: a truncated or replaced file ends the old file's open cycles. */
  onReport(report: TailReport): void {
    if (report.kind !== 'truncated' && report.kind !== 'replaced') return;
    // A new file: cycles left open in the old one end there, and line numbers restart.
    this.parser.end();
    const events = this.drain();
    this.parser = this.newParser();
    this.store.clearPending();
    this.resumed = true;
    this.spool(events, false).catch((err: unknown) => this.deps.log.error({ err }, 'could not spool findings'));
  }

  private newParser(): WuLogParser {
    return new WuLogParser({ onFinding: (f) => this.findings.push(f) });
  }

  private drain(): SpoolInput[] {
    const now = new Date();
    return this.findings.splice(0).map((f) => logFindingToEvent(f, this.deps.offsetMinutes, now));
  }

  // Going on from a saved offset: the parser from the state saved with it (open cycles, line count), and the events
  // the spool already holds from after that offset are counted.
  private resume(): void {
    const { store } = this;
    const log = this.deps.log;
    if (store.loadProblem !== null) {
      const err = makeError('WULOG_STATE_INVALID', [store.loadProblem]);
      log.warn({ err }, err.message);
    }
    if (store.loadedState === null) return;
    this.parser.restore(store.loadedState);
    log.info(
      { lineNo: store.loadedState.lineNo, openCycles: store.loadedState.detection.open.length },
      'log parser resumed from its checkpoint',
    );
    // Only with the state saved beside it (never with a line count alone or a fresh parser): a re-read from another
    // state would yield other events, and counting them off would drop the wrong ones.
    const after = store.loadedLogSeq;
    if (after === null) return;
    this.skipReady = this.deps.spooledLogEventsAfter(after).then(
      (n) => {
        this.skipLeft = n;
        if (n > 0) log.info({ events: n }, 'log events spooled before the restart are not spooled again');
      },
      (err: unknown) => log.warn({ err }, 'could not count the log events spooled before the restart'),
    );
  }

  // Spools events in call order (each call's continuation runs after the one before it, as all await the same
  // `skipReady`), dropping what a resumed re-read repeats; resolves with the seq of the last log event spooled.
  private spool(events: SpoolInput[], fromChunk: boolean): Promise<number> {
    const previous = this.lastLogSeq;
    const done = this.skipReady.then(async () => {
      let fresh = events;
      if (fromChunk) {
        const n = Math.min(this.skipLeft, events.length);
        this.skipLeft -= n;
        if (n > 0) fresh = events.slice(n);
      } else {
        this.skipLeft = 0; // the file ended: what is left to skip was of the old file
      }
      const stored = fresh.length === 0 ? [] : await this.deps.append(fresh);
      const seq = Math.max(await previous, stored.at(-1)?.seq ?? 0);
      this.logSeqNow = Math.max(this.logSeqNow, seq);
      return seq;
    });
    // A failed append fails its chunk; the next chunk goes on from the seq before it.
    this.lastLogSeq = done.catch(() => previous);
    return done;
  }
}
