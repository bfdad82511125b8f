/** Log tail: polling reader of the legacy WindowsUpdate.log (bytes, rotation, truncation), and mode detection. */
export { LogTailer } from './tailer.js';
export type { TailerOptions, TailReport, TailSink, TailState } from './tailer.js';
export { parsePosition, TailPositionSchema } from './position.js';
export type { TailPosition } from './position.js';
export { classifyLogHead, detectMode, MODE_SAMPLE_BYTES } from './mode.js';
export type { ModeDecision, ModeReason, TailMode } from './mode.js';
export { fileIdOf, hashHead, HEAD_BYTES } from './identity.js';
