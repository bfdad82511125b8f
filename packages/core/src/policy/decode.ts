/**
 * Text decoding for what Windows tools and files write: regedit and PowerShell redirection write UTF-16LE, REGEDIT4
 * files, cmd redirection and console tools write the ANSI code page, hand-edited files are usually UTF-8.
 */
import { decodeCp1252 } from '../wulog/cp1252.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes Windows text (BOM, UTF-16LE sniffing, strict UTF-8, else Windows-1252) or strips a string's BOM. The result
 * is well-formed: a lone UTF-16 surrogate (a corrupt or hostile UTF-16 file) becomes U+FFFD, since a string holding
 * one cannot be stored as JSON in PostgreSQL and poisoned the batch that carried it (issue 14).
 */
export function decodeWindowsText(input: Buffer | string): string {
  return wellFormed(decodeRaw(input));
}

function decodeRaw(input: Buffer | string): string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (input.length >= 2 && input[0] === 0xff && input[1] === 0xfe) return input.subarray(2).toString('utf16le');
  if (input.length >= 2 && input[0] === 0xfe && input[1] === 0xff)
    return swapBytes(input.subarray(2)).toString('utf16le');
  if (input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) {
    return decodeUtf8OrAnsi(input.subarray(3));
  }
  if (looksLikeUtf16Le(input)) return input.toString('utf16le');
  return decodeUtf8OrAnsi(input);
}

/** `s` with every lone surrogate replaced by U+FFFD (ES2024 String.prototype.toWellFormed, native in Node 22). */
export function wellFormed(s: string): string {
  return (s as string & { toWellFormed(): string }).toWellFormed();
}

/** Line ends of registry text: CRLF, LF, and a lone CR (a file saved by an old Mac editor or cut by a tool). */
const LINE_END = /\r\n|\r|\n/;

/**
 * The lines of registry text (`.reg` or `reg query` output, bytes in any of their encodings, or a string), ready for
 * the readers: well-formed, and with NUL shown as U+FFFD. NUL cannot occur in the text of either format (regedit
 * writes data with NULs as hex), and a string holding one cannot be stored as JSON in PostgreSQL.
 */
export function registryLines(input: Buffer | string): string[] {
  const text = decodeWindowsText(input);
  return (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text).split(LINE_END);
}

function decodeUtf8OrAnsi(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Not UTF-8: the ANSI code page, which is Windows-1252 on the Western systems this is written for.
    return decodeCp1252(bytes);
  }
}

// ASCII text in UTF-16LE without a BOM has a zero in (nearly) every odd byte.
function looksLikeUtf16Le(bytes: Buffer): boolean {
  const n = Math.min(bytes.length - (bytes.length % 2), 512);
  if (n < 4) return false;
  let oddZeros = 0;
  for (let i = 1; i < n; i += 2) if (bytes[i] === 0) oddZeros++;
  return oddZeros >= (n / 2) * 0.9;
}

function swapBytes(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  out.swap16();
  return out;
}
