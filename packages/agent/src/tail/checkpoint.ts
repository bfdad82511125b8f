/**
 * The tail checkpoint: how far into which file the sink has accepted bytes.
 * Stored as JSON through a small store interface so tests and the simulator can keep it in memory;
 * the file store writes temp + fsync + rename so a crash leaves either the old or the new checkpoint.
 */
import * as z from 'zod';
import { makeError } from '@wuwatch/core';
import { readTextIfExists, writeJsonAtomic } from '../platform/json-file.js';
import { HEAD_BYTES } from './identity.js';

/** Schema of a stored checkpoint. */
export const CheckpointSchema = z.object({
  /** Path the checkpoint belongs to; a checkpoint for another path is ignored. */
  path: z.string().min(1),
  /** `dev:ino` of the file when the checkpoint was written. */
  fileId: z.string().min(1),
  /** Byte offset just past the last byte the sink accepted (always after an LF except for over-long lines). */
  offset: z.number().int().nonnegative(),
  /** sha256 (hex) of the first `headLength` bytes of the file. */
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** How many head bytes `headHash` covers: the file may have been shorter than HEAD_BYTES when first read. */
  headLength: z.number().int().min(0).max(HEAD_BYTES),
});

/** Position of the tail in one file. */
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** Where the tailer keeps its checkpoint. `load` returns null when there is none yet. */
export interface CheckpointStore {
  load(): Promise<Checkpoint | null>;
  save(cp: Checkpoint): Promise<void>;
}

/** Options of {@link fileCheckpointStore}. */
export interface FileCheckpointStoreOptions {
  /** fsync the temp file before the rename (default true); off only for throwaway stores. */
  durable?: boolean;
}

/** Checkpoint store backed by one JSON file, replaced atomically on every save. */
export function fileCheckpointStore(file: string, options: FileCheckpointStoreOptions = {}): CheckpointStore {
  const durable = options.durable ?? true;
  return {
    async load() {
      const text = await readTextIfExists(file);
      return text === null ? null : parseCheckpoint(text, file);
    },
    save(cp) {
      return writeJsonAtomic(file, cp, { durable });
    },
  };
}

/** In-memory checkpoint store for tests and the fleet simulator; `saves` counts successful saves. */
export function memoryCheckpointStore(initial: Checkpoint | null = null): CheckpointStore & {
  readonly current: Checkpoint | null;
  readonly saves: number;
} {
  let current = initial === null ? null : { ...initial };
  let saves = 0;
  return {
    get current() {
      return current;
    },
    get saves() {
      return saves;
    },
    load() {
      return Promise.resolve(current === null ? null : { ...current });
    },
    save(cp) {
      current = { ...cp };
      saves++;
      return Promise.resolve();
    },
  };
}

/** Parses stored checkpoint JSON; throws TAIL_CHECKPOINT_INVALID when it is damaged. */
export function parseCheckpoint(text: string, source = 'checkpoint'): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw makeError('TAIL_CHECKPOINT_INVALID', [source, 'not JSON'], undefined, err);
  }
  const parsed = CheckpointSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined ? 'unknown field' : `${first.path.join('.') || 'root'}: ${first.message}`;
    throw makeError('TAIL_CHECKPOINT_INVALID', [source, where]);
  }
  return parsed.data;
}
