/**
 * Text decoding for registry captures: regedit writes UTF-16LE with a BOM, PowerShell redirection writes UTF-16LE,
 * REGEDIT4 files and cmd redirection write the ANSI code page, hand-edited files are usually UTF-8.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes registry text from bytes (BOM-aware, UTF-16 sniffing, ANSI fallback) or strips a BOM from a string. */
export function decodeRegistryText(input: Buffer | string): string {
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

function decodeUtf8OrAnsi(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Not UTF-8: an ANSI file (REGEDIT4, cmd redirection). Latin-1 keeps every byte and is right for ASCII policy text.
    return bytes.toString('latin1');
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
