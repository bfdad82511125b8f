/**
 * What the agent does with the log tail's chunks: parse them and commit their events to the spool together with the
 * tail's cursor after them (position and parser state), in one append: one write, one fsync. The spool is the only
 * durable store of both, so a restart resumes from the cursor the spool holds and nothing between the events and the
 * position can disagree: each log event is spooled once, across crashes at any point.
 *
 * Commits run in chunk order, each after the one before it succeeded; a chunk that fails (the spool could not write
 * it) fails every chunk after it without writing anything, and the tailer hands the failed chunk over again. Since
 * that chunk does not start where the parser stands, the parser goes back to its state after the last chunk taken.
 *
 * A chunk that produced no events is taken without a write: its cursor goes with the next commit, or with `flush`
 * when the poll ends. Read again after a crash it yields no events (the parser is deterministic), so nothing can
 * repeat, and a backlog of chatter costs no fsync per chunk.
 *
 * A new file (rotated, replaced, truncated) ends the old file's open cycles: their events are committed with the new
 * file's position, so they are spooled once whether the agent is killed before or after. A file replaced while the
 * agent was down is handled the same way, from the parser state the cursor holds.
 */
import { WuLogParser, type Finding, type ParserState } from '@wuwatch/core';
import type { Logger } from 'pino';
import type { TailPosition, TailReport, TailSink } from '../tail/index.js';
import type { SpoolInput } from '../spool/index.js';
import type { TailCursor } from './tail-cursor.js';
import { logFindingToEvent } from './to-events.js';

/** What a {@link LogSink} needs, passed in. */
export interface LogSinkDeps {
  /** UTC offset of log timestamps in minutes (east positive). */
  offsetMinutes: number;
  /** Appends the events and the tail's cursor after them in one durable write (the spool); in call order. */
  commit: (events: SpoolInput[], cursor: TailCursor) => Promise<void>;
  /** The cursor the spool holds from the run before (null: none). */
  resume: TailCursor | null;
  log: Logger;
}

const samePlace = (a: TailPosition | null | undefined, fileId: string, offset: number) =>
  a !== null && a !== undefined && a.fileId === fileId && a.offset === offset;

/** Parses tail chunks and commits their events with the tail's cursor; see the file comment. */
export class LogSink implements TailSink {
  private readonly findings: Finding[] = [];
  private parser: WuLogParser;
  // The cursor last made durable: what a restart resumes from.
  private committed: TailCursor | null;
  // The cursor after the last chunk taken (committed or not): where a re-read in this run starts.
  private taken: TailCursor | null;
  // Taken but not committed yet: its chunks produced no events.
  private deferred: TailCursor | null = null;
  // Where the parser stands: the end of the last chunk it was given.
  private at: TailPosition | null;
  // The latest commit; rejects from a failed chunk on, until a re-read rewinds.
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LogSinkDeps) {
    this.committed = deps.resume;
    this.taken = deps.resume;
    this.at = deps.resume?.position ?? null;
    this.parser = this.newParser(deps.resume?.parser ?? null);
    if (deps.resume !== null && deps.resume.position.offset > 0) {
      deps.log.info({ offset: deps.resume.position.offset }, 'log parser resumed from the cursor in the spool');
    }
  }

  /** Where the tail resumes: the position of the cursor last committed (null: nothing yet). */
  get position(): TailPosition | null {
    return this.committed === null ? null : { ...this.committed.position };
  }

  /** The tailer's chunk: parsed now, resolved once its events and the cursor after it are on disk. */
  chunk(buf: Buffer, position: TailPosition): Promise<void> {
    const start = position.offset - buf.length;
    if (!samePlace(this.at, position.fileId, start)) this.rewind(position.fileId, start);
    this.parser.push(buf);
    this.at = position;
    const cursor: TailCursor = { v: 1, position, parser: this.parser.snapshot() };
    const events = this.drain();
    return events.length === 0 ? this.defer(cursor) : this.commit(events, cursor);
  }

  /** Commits the cursor of the last chunks if they produced no events (the tailer calls it when a poll ends). */
  flush(): Promise<void> {
    const done = this.last.then(async () => {
      const c = this.deferred;
      if (c === null) return;
      await this.deps.commit([], c);
      this.committed = c;
      if (this.deferred === c) this.deferred = null;
    });
    this.last = done;
    done.catch(() => undefined);
    return done;
  }

  /** The tail goes on elsewhere: a truncated or replaced file ends the old one's open cycles, then a new parser. */
  moved(position: TailPosition, report: TailReport | null): Promise<void> {
    // The tailer moves only after every chunk before settled: the parser stands after the last chunk taken.
    const c = this.taken;
    if (c !== null && !samePlace(this.at, c.position.fileId, c.position.offset))
      this.rewind(c.position.fileId, c.position.offset);
    this.last = this.last.catch(() => undefined);
    if (report !== null) this.parser.end();
    const events = this.drain();
    this.parser = this.newParser(null);
    this.at = position;
    return this.commit(events, { v: 1, position, parser: null });
  }

  // Takes a chunk that produced no events, in order after the ones before it.
  private defer(cursor: TailCursor): Promise<void> {
    const done = this.last.then(() => {
      this.deferred = cursor;
      this.taken = cursor;
    });
    this.last = done;
    done.catch(() => undefined);
    return done;
  }

  private newParser(state: ParserState | null): WuLogParser {
    const parser = new WuLogParser({ onFinding: (f) => this.findings.push(f) });
    if (state !== null) parser.restore(state);
    return parser;
  }

  private drain(): SpoolInput[] {
    const now = new Date();
    return this.findings.splice(0).map((f) => logFindingToEvent(f, this.deps.offsetMinutes, now));
  }

  // The chunk does not start where the parser stands: an earlier chunk failed and the tailer reads again from the
  // last chunk taken. Nothing after that was taken (a failure stops every later chunk).
  private rewind(fileId: string, start: number): void {
    const c = this.taken;
    this.last = Promise.resolve();
    this.findings.length = 0;
    if (samePlace(c?.position, fileId, start)) {
      this.parser = this.newParser(c?.parser ?? null);
    } else {
      // Only a new file's first chunk starts elsewhere than the committed cursor, and it starts at 0.
      if (start !== 0) this.deps.log.error({ fileId, offset: start }, 'log tail: no parser state for this offset');
      this.parser = this.newParser(null);
    }
    if (c !== null) this.deps.log.info({ offset: start }, 'log tail: reading again after a failed chunk');
  }

  // Commits in call order, each after the one before it succeeded; the cursor covers any deferred before it.
  private commit(events: SpoolInput[], cursor: TailCursor): Promise<void> {
    const done = this.last
      .then(() => this.deps.commit(events, cursor))
      .then(() => {
        this.committed = cursor;
        this.taken = cursor;
        this.deferred = null;
      });
    this.last = done;
    // Later commits see a failure through `last`; this copy only keeps it from going unobserved.
    done.catch(() => undefined);
    return done;
  }
}
