/**
 * Files mode's local copy of a server's WindowsUpdate.log. The export script replaces the share's copy as a whole
 * (a new file each time, so the agent never reads half of one), but the tailer follows one growing file: a new file
 * at the path means "read from the start". The mirror turns the share's successive copies back into one append-only
 * file: when the new copy starts with what the mirror holds, only the new bytes are appended; when it does not (the
 * server's log was rotated or rewritten), the mirror is replaced, which the tailer rightly reads as a new log.
 */
import { createHash } from 'node:crypto';
import { open, rename, stat, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Bytes compared at the start and at the end of what the mirror holds. */
const WITNESS_BYTES = 4096;

/** What one sync did. */
export type MirrorResult = 'missing' | 'unchanged' | 'appended' | 'replaced';

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function slice(path: string, start: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Brings `dst` up to date with `src` (see the module comment). */
export async function mirrorLog(src: string, dst: string): Promise<MirrorResult> {
  const srcSize = await sizeOf(src);
  if (srcSize === null) return 'missing';
  await mkdir(dirname(dst), { recursive: true });
  const dstSize = await sizeOf(dst);
  if (dstSize !== null && srcSize >= dstSize) {
    // The same start and the same bytes just before the mirror's end: the new copy extends the mirror.
    const headLen = Math.min(WITNESS_BYTES, dstSize);
    const tailStart = Math.max(0, dstSize - WITNESS_BYTES);
    const same =
      digest(await slice(src, 0, headLen)) === digest(await slice(dst, 0, headLen)) &&
      digest(await slice(src, tailStart, dstSize - tailStart)) ===
        digest(await slice(dst, tailStart, dstSize - tailStart));
    if (same) {
      if (srcSize === dstSize) return 'unchanged';
      const added = await slice(src, dstSize, srcSize - dstSize);
      await writeFile(dst, added, { flag: 'a' });
      return 'appended';
    }
  }
  const tmp = `${dst}.tmp`;
  await copyFile(src, tmp);
  await rename(tmp, dst);
  return 'replaced';
}
