/** Small file helpers of the tailer. */
import type { FileHandle } from 'node:fs/promises';

/** Reads up to `length` bytes at `position` into a fresh buffer; shorter when the file ends first. */
export async function readAt(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  // Only the filled part is returned, so the uninitialized rest never escapes.
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(out, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return out.subarray(0, got);
}

/** True when both paths name the same file; Windows paths are case-insensitive (`c:\windows\…` = `C:\Windows\…`). */
export function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** Error code of a Node system error, if any. */
export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
