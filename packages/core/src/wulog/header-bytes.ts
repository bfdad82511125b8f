/**
 * Byte tables and checks for reading a log line's header on its bytes (records-fast.ts): column separators, digit and
 * component tables, and the calendar checks of a timestamp. A byte read past the end of a buffer is undefined, which
 * every table lookup here turns into "not this kind of byte".
 */
import { isCalendarDate } from './calendar.js';

export const TAB = 0x09;
export const SPACE = 0x20;
export const DASH = 0x2d;
export const DOT = 0x2e;
export const SLASH = 0x2f;
export const COLON = 0x3a;
export const ZERO = 0x30;
export const STAR = 0x2a;
export const HASH = 0x23;
export const PLUS = 0x2b;
export const W = 0x57;
export const F = 0x46;

/** Digit values by byte (-1 for anything else; undefined past the end of the buffer, which compares false). */
export const DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) DIGIT[ZERO + i] = i;

/** Eight spaces read as a double (records-fast.ts compares bytes as doubles). */
export const SPACES8 = new DataView(new Uint8Array(8).fill(SPACE).buffer).getFloat64(0, true);

/** Hex digit values by byte; -1 for anything else. */
export const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Bytes that may continue a legacy component: anything ASCII but TAB (non-ASCII sends the line to parseRecord). */
export const COMPONENT = new Uint8Array(256);
for (let i = 0; i < 0x80; i++) COMPONENT[i] = i === TAB ? 0 : 1;

/**
 * Bytes of a component in a pasted legacy line (`\S` of records.ts's LEGACY_SPACED): anything ASCII but the blanks
 * TAB, LF, VT, FF, CR and space (non-ASCII sends the line to parseRecord, which knows the Unicode blanks).
 */
export const SPACED_COMPONENT = new Uint8Array(256);
for (let i = 0; i < 0x80; i++) SPACED_COMPONENT[i] = (i >= TAB && i <= 0x0d) || i === SPACE ? 0 : 1;

export const CR = 0x0d;
/** Most blanks a paste may indent a whole line by (records.ts parseIndented). */
export const MAX_INDENT = 8;

/** Bytes that may continue a modern component: anything ASCII but space and TAB. */
export const MODERN_COMPONENT = new Uint8Array(256);
for (let i = 0; i < 0x80; i++) MODERN_COMPONENT[i] = i === TAB || i === SPACE ? 0 : 1;

/** True when all four bytes of `x` (little-endian uint32) are ASCII digits: high nibbles 3, low nibbles below 10. */
export function digits4(x: number): boolean {
  return (x & 0xf0f0f0f0) === 0x30303030 && ((x + 0x06060606) & 0xf0f0f0f0) === 0x30303030;
}

export const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** `.000`…`.999`: the legacy milliseconds without slicing a string per line. */
export const MILLIS = Array.from({ length: 1000 }, (_, i) => '.' + String(i).padStart(3, '0'));

/** True when the date at `s` is a real calendar day (the caller checked the separators and the length). */
export function plausibleDate(b: Buffer, s: number): boolean {
  const y0 = DIGIT[b[s]!]!;
  const y1 = DIGIT[b[s + 1]!]!;
  const y2 = DIGIT[b[s + 2]!]!;
  const y3 = DIGIT[b[s + 3]!]!;
  const mo0 = DIGIT[b[s + 5]!]!;
  const mo1 = DIGIT[b[s + 6]!]!;
  const d0 = DIGIT[b[s + 8]!]!;
  const d1 = DIGIT[b[s + 9]!]!;
  // Any -1 makes the OR negative: one branch for eight digit checks.
  if ((y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1) < 0) return false;
  // Checked once per new date (FastRecordParser.stamp caches it), so the calendar costs nothing per line.
  return isCalendarDate(y0 * 1000 + y1 * 100 + y2 * 10 + y3, mo0 * 10 + mo1, d0 * 10 + d1);
}

/** True when the `HH?MM?SS` at `s + 11` is a plausible time of day. */
export function plausibleClock(b: Buffer, s: number): boolean {
  const h0 = DIGIT[b[s + 11]!]!;
  const h1 = DIGIT[b[s + 12]!]!;
  const mi0 = DIGIT[b[s + 14]!]!;
  const mi1 = DIGIT[b[s + 15]!]!;
  const s0 = DIGIT[b[s + 17]!]!;
  const s1 = DIGIT[b[s + 18]!]!;
  if ((h0 | h1 | mi0 | mi1 | s0 | s1) < 0) return false;
  return h0 * 10 + h1 <= 23 && mi0 * 10 + mi1 <= 59 && s0 * 10 + s1 <= 60;
}

/** True when the bytes of `word` (ASCII) are at `i`. */
export function isAt(b: Buffer, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}
