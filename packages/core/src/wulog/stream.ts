/**
 * Streaming WindowsUpdate.log parser: bytes in, records and findings out, memory bounded by the longest line and a
 * few open cycles (a 100 MB log is never accumulated). Pure: the caller reads the file and passes the chunks.
 *
 * This module and what it imports never load zod: `wuwatch-agent parse-log` imports only it (through the subpath
 * `@wuwatch/core/wulog/stream`), and building the checkpoint schema cost start-up time a one-shot parse does not
 * need (issue 15). {@link WuLogParser} (parser.ts) adds the schema-checked restore of a checkpoint.
 */
import { makeError } from '../errors/errors.js';
import { LineDecoder, type LineDecoderOptions, type LineSink } from './decoder.js';
import { FindingsMachine } from './findings.js';
import { bodyStart } from './message.js';
import { FastRecordParser, SKIPPED } from './records-fast.js';
import { parseRecord } from './records.js';
import type { ParsedParserState, ParserState } from './state.js';
import type { Finding, LogRecord } from './types.js';

export type { Finding, LogRecord } from './types.js';

/** Consumers of a {@link WuLogStream}; with a sink nothing is buffered in the parser. */
export interface WuLogSink {
  onRecord?: (record: LogRecord) => void;
  onFinding?: (finding: Finding) => void;
}

/** Options of {@link WuLogStream}. */
export type WuLogParserOptions = LineDecoderOptions;

/** What one {@link WuLogStream.push} or {@link WuLogStream.end} completed (empty when a sink consumes them). */
export interface ParseBatch {
  records: LogRecord[];
  findings: Finding[];
}

/** Lines → records → findings; the decoder's sink (a class, so its calls stay monomorphic). */
class Pipeline implements LineSink {
  private readonly fast = new FastRecordParser();
  private readonly findings: FindingsMachine;
  private readonly onRecord: (record: LogRecord) => void;
  /** Nobody wants the records: lines no matcher can care about are skipped without building them. */
  private readonly findingsOnly: boolean;
  private lineNo = 0;

  constructor(onRecord: ((record: LogRecord) => void) | null, onFinding: (finding: Finding) => void) {
    this.onRecord = onRecord ?? noop;
    this.findingsOnly = onRecord === null;
    this.findings = new FindingsMachine(onFinding);
  }

  line(text: string): void {
    const record = parseRecord(text, ++this.lineNo);
    this.onRecord(record);
    this.findings.onRecord(record, bodyStart(record.text, record.severity));
  }

  slice(bytes: Buffer, bs: number, be: number, text: string, cs: number, ce: number): void {
    this.fast.lite = this.findingsOnly && this.findings.quiet;
    // Dispatch on the byte after the date (TAB: legacy) here, saving a call per line; both reject other layouts.
    const record =
      (be - bs > 10 && bytes[bs + 10] === 0x09
        ? this.fast.legacy(bytes, bs, be, text, cs, ce, this.lineNo + 1)
        : this.fast.modern(bytes, bs, be, text, cs, ce, this.lineNo + 1)) ??
      this.fast.pasted(bytes, bs, be, text, cs, ce, this.lineNo + 1);
    if (record === null) {
      this.line(text.slice(cs, ce));
      return;
    }
    if (record === SKIPPED) {
      this.findings.skip(++this.lineNo, this.fast);
      return;
    }
    this.lineNo++;
    this.onRecord(record);
    this.findings.onRecord(record, this.fast.bodyAt);
  }

  end(): void {
    this.findings.end();
  }

  /** Called after each chunk: the record parser holds no reference to the caller's buffer afterwards. */
  release(): void {
    this.fast.release();
  }

  snapshot(): Pick<ParsedParserState, 'lineNo' | 'detection' | 'settings' | 'network' | 'install' | 'report'> {
    return { lineNo: this.lineNo, ...this.findings.snapshot() };
  }

  restore(state: ParsedParserState): void {
    this.lineNo = state.lineNo;
    this.findings.restore(state);
  }
}

/**
 * Push-based parser. Without a sink, `push`/`end` return the records and findings each call completed; with a sink
 * they go to its callbacks as they complete (the zero-copy path for large files) and the batches stay empty.
 */
export class WuLogStream {
  private readonly decoder: LineDecoder;
  private readonly pipeline: Pipeline;
  private readonly collect: boolean;
  private batch: ParseBatch = { records: [], findings: [] };
  protected ended = false;

  constructor(sink?: WuLogSink, options: WuLogParserOptions = {}) {
    this.collect = sink === undefined;
    this.pipeline =
      sink === undefined
        ? new Pipeline(
            (r) => this.batch.records.push(r),
            (f) => this.batch.findings.push(f),
          )
        : new Pipeline(sink.onRecord ?? null, sink.onFinding ?? noop);
    this.decoder = new LineDecoder(this.pipeline, options);
  }

  /** Feeds the next chunk of the file (split anywhere). */
  push(chunk: Uint8Array): ParseBatch {
    if (this.ended) throw makeError('WULOG_PARSER_ENDED', ['push']);
    this.decoder.push(chunk);
    this.pipeline.release();
    return this.takeBatch();
  }

  /** Signals end of input: flushes the last line and everything still open (unfinished cycles). */
  end(): ParseBatch {
    if (this.ended) throw makeError('WULOG_PARSER_ENDED', ['end']);
    this.ended = true;
    this.decoder.end();
    this.pipeline.end();
    return this.takeBatch();
  }

  /**
   * Everything this parser holds between two chunks (open cycles, line count, a partial line) as plain JSON. Saved
   * with a file offset, it lets a new parser {@link restore} and go on from that offset as if never stopped.
   */
  snapshot(): ParserState {
    const partial = this.decoder.snapshot();
    return {
      version: 1,
      ...this.pipeline.snapshot(),
      partial: {
        bytes: partial.bytes.toString('base64'),
        truncated: partial.truncated,
        bomPending: partial.bomPending,
      },
    };
  }

  /**
   * Continues from a {@link snapshot} already checked against ParserStateSchema (state.ts; {@link WuLogParser.restore}
   * checks it): kept out of this class so that reading a log never loads zod. Call before the first push.
   */
  protected restoreParsed(s: ParsedParserState): void {
    if (this.ended) throw makeError('WULOG_PARSER_ENDED', ['restore']);
    this.pipeline.restore(s);
    this.decoder.restore({
      bytes: Buffer.from(s.partial.bytes, 'base64'),
      truncated: s.partial.truncated,
      bomPending: s.partial.bomPending,
    });
  }

  private takeBatch(): ParseBatch {
    if (!this.collect) return { records: [], findings: [] };
    const done = this.batch;
    this.batch = { records: [], findings: [] };
    return done;
  }
}

function noop(): void {}
