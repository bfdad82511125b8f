/**
 * The streaming WindowsUpdate.log parser with checkpoints: {@link WuLogStream} (stream.ts) plus a restore that checks
 * the saved state against its schema first. And {@link parseLog} for a whole log in memory.
 */
import { makeError } from '../errors/errors.js';
import { ParserStateSchema } from './state.js';
import { WuLogStream, type ParseBatch } from './stream.js';
import type { Finding, LogRecord } from './types.js';

export { WuLogStream, type ParseBatch, type WuLogParserOptions, type WuLogSink } from './stream.js';

/**
 * Push-based parser. Without a sink, `push`/`end` return the records and findings each call completed; with a sink
 * they go to its callbacks as they complete (the zero-copy path for large files) and the batches stay empty.
 */
export class WuLogParser extends WuLogStream {
  /** Continues from a {@link snapshot} (checked against its schema first); call before the first push. */
  restore(state: unknown): void {
    if (this.ended) throw makeError('WULOG_PARSER_ENDED', ['restore']);
    const parsed = ParserStateSchema.safeParse(state);
    if (!parsed.success) throw makeError('WULOG_STATE_INVALID', [parsed.error.issues[0]?.message ?? 'unknown shape']);
    this.restoreParsed(parsed.data);
  }
}

/** Parses a whole log held in memory; findings come back in line order. */
export function parseLog(input: Buffer | string): ParseBatch {
  const records: LogRecord[] = [];
  const findings: Finding[] = [];
  const parser = new WuLogParser({ onRecord: (r) => records.push(r), onFinding: (f) => findings.push(f) });
  parser.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  parser.end();
  findings.sort((a, b) => a.line - b.line);
  return { records, findings };
}
