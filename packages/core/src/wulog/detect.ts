/** Recognises what kind of WindowsUpdate.log a file is from its first bytes. */
import { decodeLineBytes } from './decoder.js';
import { lineLayout } from './records.js';

/** The file's layout; `etw_stub` is the Windows 10 / Server 2016+ placeholder that points at Get-WindowsUpdateLog. */
export type LogKind = 'legacy' | 'modern' | 'etw_stub' | 'unknown';

const ETW_STUB = /Windows Update logs are now generated using ETW/i;
/** Lines looked at before giving up: a log may open with blank or banner lines. */
const MAX_LINES = 20;

/** Text of the first bytes; UTF-16 (with BOM, as some tools save the stub) or UTF-8/Windows-1252. */
function headText(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return bytes.subarray(2, bytes.length - (bytes.length % 2)).toString('utf16le');
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const body = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
    return body.swap16().toString('utf16le');
  }
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return decodeLineBytes(bytes.subarray(start));
}

/** Classifies a log from its first bytes (a few KiB are plenty); never throws. */
export function detectLogKind(firstBytes: Uint8Array): LogKind {
  const bytes = Buffer.isBuffer(firstBytes)
    ? firstBytes
    : Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength);
  const text = headText(bytes);
  if (ETW_STUB.test(text)) return 'etw_stub';
  const lines = text.split('\n');
  // The last piece may be cut mid-line; use it only when it is all there is.
  const complete = lines.length > 1 ? lines.slice(0, -1) : lines;
  let seen = 0;
  for (const raw of complete) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const layout = lineLayout(line);
    if (layout !== 'bare') return layout;
    if (++seen >= MAX_LINES) break;
  }
  return 'unknown';
}
