/**
 * The tail checkpoint: how far into which file the sink has accepted bytes.
 * Stored as JSON through a small store interface so tests and the simulator can keep it in memory;
 * the file store writes temp + fsync + rename so a crash leaves either the old or the new checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { makeError } from '@wuwatch/core';
import { errCode } from './files.js';
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

// Windows refuses a rename over a file an antivirus scanner or indexer briefly holds open.
const RENAME_RETRY_CODES = new Set(['EPERM', 'EACCES', 'EBUSY']);
const RENAME_ATTEMPTS = 5;
const RENAME_RETRY_MS = 20;

/** Checkpoint store backed by one JSON file, replaced atomically on every save. */
export function fileCheckpointStore(file: string, options: FileCheckpointStoreOptions = {}): CheckpointStore {
  const durable = options.durable ?? true;
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if (errCode(err) === 'ENOENT') return null;
        throw makeError('FILE_UNREADABLE', [file], undefined, err);
      }
      return parseCheckpoint(text, file);
    },
    async save(cp) {
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(JSON.stringify(cp) + '\n', 'utf8');
          if (durable) await fh.sync();
        } finally {
          await fh.close();
        }
        await renameWithRetry(tmp, file);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw makeError('FILE_UNWRITABLE', [file], undefined, err);
      }
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

async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      if (attempt >= RENAME_ATTEMPTS || !RENAME_RETRY_CODES.has(errCode(err) ?? '')) throw err;
      await new Promise((resolve) => setTimeout(resolve, RENAME_RETRY_MS * attempt));
    }
  }
}
