/**
 * Portable durability helpers over node:fs. The agent runs on Windows, where directories cannot be opened
 * for fsync and a file held by a scanner briefly refuses rename/unlink; Linux tests take the same code paths.
 * Failures leave the spool as SPOOL_IO errors naming what was being done.
 */
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isWuwatchError, makeError } from '@wuwatch/core';

const TRANSIENT = new Set(['EPERM', 'EACCES', 'EBUSY']);

/** The `code` of a Node system error, if any. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** `err` as a SPOOL_IO error saying `what` failed; an error from our catalogue passes through unchanged. */
export function ioError(what: string, err: unknown): Error {
  return isWuwatchError(err) ? err : makeError('SPOOL_IO', [`${what}: ${String(err)}`], undefined, err);
}

/** Retries an operation a few times on the transient errors antivirus or indexers cause on Windows. */
async function withRetry<T>(op: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= 4 || !TRANSIENT.has(errorCode(err) ?? '')) throw err;
      await sleep(20 * 2 ** attempt);
    }
  }
}

/** Makes a directory's entries (new, renamed or removed files) durable; a no-op where the OS cannot. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    // Windows refuses to open directories (EISDIR/EPERM) and NTFS journals metadata itself.
    const code = errorCode(err);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES' && code !== 'EINVAL') throw err;
  } finally {
    await fh?.close();
  }
}

/** Renames `from` over `to`, retrying transient Windows sharing errors. */
export function renameWithRetry(from: string, to: string): Promise<void> {
  return withRetry(() => rename(from, to));
}

/** Deletes a file, retrying transient errors; an already missing file is fine. */
export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await withRetry(() => unlink(path));
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

/** Writes all of `buf` at `position` (FileHandle.write may write less than asked). */
export async function writeFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/** Reads up to `length` bytes at `position` into `buf` at `offset`; returns how many were read (less at EOF). */
export async function readFully(
  fh: FileHandle,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
