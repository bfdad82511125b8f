/** Log tail: polling reader of the legacy WindowsUpdate.log with a crash-safe checkpoint, and mode detection. */
export { LogTailer } from './tailer.js';
export type { ChunkMeta, ChunkSink, TailerOptions, TailReport, TailState } from './tailer.js';
export { CheckpointSchema, fileCheckpointStore, memoryCheckpointStore, parseCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointStore, FileCheckpointStoreOptions } from './checkpoint.js';
export { classifyLogHead, detectMode, MODE_SAMPLE_BYTES } from './mode.js';
export type { ModeDecision, ModeReason, TailMode } from './mode.js';
export { fileIdOf, hashHead, HEAD_BYTES } from './identity.js';
