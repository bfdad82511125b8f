/**
 * Windows-1252 decoding for log lines that are not valid UTF-8 (the legacy log is written in the ANSI code page).
 * Only 0x80–0x9F differ from Latin-1; the five bytes cp1252 leaves undefined map to the C1 control of the same value,
 * as the WHATWG Encoding Standard does, so decoding never fails.
 */

/** Code points for bytes 0x80–0x9F. */
const HIGH_C1: readonly string[] = [
  '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
  '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
  '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
  '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
]; // prettier-ignore

const HAS_C1 = /[\x80-\x9f]/;
const C1_ALL = /[\x80-\x9f]/g;

function mapC1(ch: string): string {
  return HIGH_C1[ch.charCodeAt(0) - 0x80] ?? ch;
}

/** Decodes bytes as Windows-1252; never throws. */
export function decodeCp1252(bytes: Uint8Array, start = 0, end = bytes.length): string {
  // Latin-1 decoding is native and exact for every byte except 0x80–0x9F, which a regex then patches.
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end);
  return HAS_C1.test(latin1) ? latin1.replace(C1_ALL, mapC1) : latin1;
}
