/** Small JSON state files written atomically (temp file, fsync, rename), shared by the sources' stores. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeError } from '@wuwatch/core';

// Windows refuses a rename over a file an antivirus scanner or indexer briefly holds open.
const RETRY_CODES = new Set(['EPERM', 'EACCES', 'EBUSY']);
const ATTEMPTS = 5;
const RETRY_MS = 20;

/** Reads a file as text; null when it does not exist. Throws WUW_FILE_UNREADABLE for other errors. */
export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null;
    throw makeError('FILE_UNREADABLE', [file], undefined, err);
  }
}

/** Reads a file as bytes; null when it does not exist. Throws WUW_FILE_UNREADABLE for other errors. */
export async function readBytesIfExists(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null;
    throw makeError('FILE_UNREADABLE', [file], undefined, err);
  }
}

/** Options of {@link writeJsonAtomic}. */
export interface WriteJsonOptions {
  /** fsync the temp file before the rename (default true); off only for throwaway files. */
  durable?: boolean;
}

/** Replaces `file` with `value` as JSON so a crash leaves the old or the new content, never half of it. */
export async function writeJsonAtomic(file: string, value: unknown, options: WriteJsonOptions = {}): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await openCreatingDir(tmp);
    try {
      await fh.writeFile(JSON.stringify(value) + '\n', 'utf8');
      if (options.durable ?? true) await fh.sync();
    } finally {
      await fh.close();
    }
    await renameWithRetry(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw makeError('FILE_UNWRITABLE', [file], undefined, err);
  }
}

// The directory exists on every save but the first: create it only when the open says it is missing, rather than
// paying a mkdir per tail checkpoint (as often as one per chunk while catching up).
async function openCreatingDir(tmp: string) {
  try {
    return await open(tmp, 'w');
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
    await mkdir(dirname(tmp), { recursive: true });
    return await open(tmp, 'w');
  }
}

async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rename(from, to);
    } catch (err) {
      if (attempt >= ATTEMPTS || !RETRY_CODES.has(errCode(err) ?? '')) throw err;
      await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
    }
  }
}

/** The `code` of a Node system error, if any. */
export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
