/** The agent's durable event spool. */
export { Spool } from './spool.js';
export { DEFAULT_MAX_BYTES, DEFAULT_SEGMENT_BYTES } from './options.js';
export type { SpoolState } from './spool.js';
export { silentLogger } from './types.js';
export type { SpoolCut, SpoolDroppedData, SpoolInput, SpoolLogger, SpoolOpenReport, SpoolOptions } from './types.js';
export { crc32, decodeFrame, encodeFrame, FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD_BYTES } from './frame.js';
export type { DecodeResult, FrameFault } from './frame.js';
export { readCursor } from './inspect.js';
export type { CursorInput } from './cursor.js';
export { readSetAside, SET_ASIDE_FILE } from './set-aside.js';
export type { SetAsideRecord } from './set-aside.js';
