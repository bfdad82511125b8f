/** Decoding console output of Windows tools: UTF-16LE (PowerShell, some redirections), UTF-8, or the ANSI page. */
import { decodeCp1252 } from '@wuwatch/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes tool output: BOM first, then UTF-16LE sniffing, then strict UTF-8, else Windows-1252. Never throws. */
export function decodeCommandOutput(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return decodeUtf8OrAnsi(bytes.subarray(3));
  }
  if (looksLikeUtf16Le(bytes)) return bytes.toString('utf16le');
  return decodeUtf8OrAnsi(bytes);
}

function decodeUtf8OrAnsi(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
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
