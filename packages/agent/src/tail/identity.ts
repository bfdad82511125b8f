/**
 * File identity for the tailer: which file is at the path (dev+ino) and what its first bytes are.
 * Identity alone misses in-place rewrites and inode reuse, so the head hash is the second witness.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';

/** Bytes at the start of a file that make up its head hash. */
export const HEAD_BYTES = 256;

/** Identity of a file as `dev:ino`; bigint stats keep NTFS's 64-bit file index exact on Windows. */
export function fileIdOf(stats: Pick<BigIntStats, 'dev' | 'ino'>): string {
  return `${stats.dev.toString()}:${stats.ino.toString()}`;
}

/** Hex sha256 of the given head bytes (callers pass at most {@link HEAD_BYTES}). */
export function hashHead(head: Uint8Array): string {
  return createHash('sha256').update(head).digest('hex');
}
