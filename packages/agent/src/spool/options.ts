/** Spool option defaults and checks. */
import { makeError } from '@wuwatch/core';
import { READ_CHUNK_BYTES } from './segment.js';
import { silentLogger } from './types.js';
import type { SpoolLogger, SpoolOptions } from './types.js';

/** Default disk budget. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** Default segment size. */
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly chunkBytes: number;
  readonly logger: SpoolLogger;
  readonly now: () => Date;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw makeError('CONFIG_INVALID', [`spool ${name} must be an integer ≥ ${min}, got ${value}`]);
  }
}

/** Fills defaults and checks sizes; throws CONFIG_INVALID. */
export function resolveOptions(options: SpoolOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    dir: options.dir,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    chunkBytes: options.readChunkBytes ?? READ_CHUNK_BYTES,
    logger: options.logger ?? silentLogger,
    now: options.now ?? (() => new Date()),
  };
  if (typeof resolved.dir !== 'string' || resolved.dir === '') {
    throw makeError('CONFIG_INVALID', ['spool dir must be a folder path']);
  }
  checkCount('segmentBytes', resolved.segmentBytes, 1024);
  // Two segments at least: the one being written is never dropped, so one more must be droppable.
  checkCount('maxBytes', resolved.maxBytes, 2 * resolved.segmentBytes);
  checkCount('readChunkBytes', resolved.chunkBytes, 64);
  return resolved;
}
