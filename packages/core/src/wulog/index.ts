/** WindowsUpdate.log parsing: streaming decoder, line records, findings. */
export type * from './types.js';
export { decodeCp1252 } from './cp1252.js';
export {
  LineDecoder,
  decodeLineBytes,
  type DecoderState,
  type LineDecoderOptions,
  type LineHandler,
  type LineSink,
} from './decoder.js';
export { detectLogKind, type LogKind } from './detect.js';
export { FindingsMachine, type FindingHandler } from './findings.js';
export { httpStatusFromHresult } from './http-status.js';
export {
  WuLogParser,
  WuLogStream,
  parseLog,
  type ParseBatch,
  type WuLogParserOptions,
  type WuLogSink,
} from './parser.js';
export { lineLayout, parseRecord, type LineLayout } from './records.js';
export { ParserStateSchema, type ParsedParserState, type ParserState } from './state.js';
