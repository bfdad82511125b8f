/**
 * One WindowsUpdate.log line to a {@link LogRecord}. Cascade: legacy TAB layout, legacy with TABs turned into spaces,
 * modern Get-WindowsUpdateLog layout, bare message (pasted excerpts). Never drops a line for a missing header.
 */
import { isCalendarDate, MAX_FRACTION_DIGITS, MAX_PID_DIGITS } from './calendar.js';
import { severityOf } from './message.js';
import type { LogRecord } from './types.js';

const TAB = 0x09;
const SPACE = 0x20;
const DASH = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;

/** Which layout a line was written in. */
export type LineLayout = 'legacy' | 'modern' | 'bare';

/**
 * Component names Microsoft documents plus the real spellings seen in legacy and modern logs. Only used to peel a
 * component off a pasted line that lost its other columns.
 */
const KNOWN_COMPONENTS = new Set(
  (
    'agent au auclnt cdm cmpress comapi driver dtastor dwnldmgr dnldmgr eehndler handler misc offlsnc parser pt ' +
    'report service setup shutdwn wuredir wuweb idletmr ws ep wutask shared idletimer datastore downloadmanager ' +
    'api sls webservices protocoltalker deploymentmanager deployment update'
  ).split(' '),
);

/** Positions of the digits in `YYYY-MM-DD?HH:MM:SS` (both layouts share them). */
const DATE_TIME_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

const LEGACY_SPACED =
  /^(\d{4}-\d{2}-\d{2})[ \t]+(\d{2}:\d{2}:\d{2})[:.](\d{3})[ \t]+(\d{1,10})[ \t]+([0-9A-Fa-f]+)[ \t]+(\S+)[ \t]+(.*)$/;
/** Modern timestamps that are not the canonical 27 characters (culture variants, trimmed fractions). */
const MODERN_LOOSE_TIME = new RegExp(
  String.raw`^(\d{4})([/.-])(\d{1,2})\2(\d{1,2}) (\d{1,2})[:.](\d{2})[:.](\d{2})(?:[.,](\d{1,${MAX_FRACTION_DIGITS}}))? (?=\d)`,
);

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function digitsAt(text: string, positions: readonly number[]): boolean {
  for (const p of positions) if (!isDigit(text.charCodeAt(p))) return false;
  return true;
}

/** A real calendar date (calendar.ts), hour < 24, minute < 60, second < 61 (leap second) at the fixed positions. */
function plausibleFixed(text: string): boolean {
  const y = Number(text.slice(0, 4));
  const mo = (text.charCodeAt(5) - ZERO) * 10 + text.charCodeAt(6) - ZERO;
  const d = (text.charCodeAt(8) - ZERO) * 10 + text.charCodeAt(9) - ZERO;
  const h = (text.charCodeAt(11) - ZERO) * 10 + text.charCodeAt(12) - ZERO;
  const mi = (text.charCodeAt(14) - ZERO) * 10 + text.charCodeAt(15) - ZERO;
  const s = (text.charCodeAt(17) - ZERO) * 10 + text.charCodeAt(18) - ZERO;
  return isCalendarDate(y, mo, d) && h < 24 && mi < 60 && s < 61;
}

function record(
  line: number,
  time: string | null,
  pid: number | null,
  tid: string | null,
  component: string | null,
  text: string,
): LogRecord {
  return { line, time, pid, tid, component, severity: severityOf(text), text };
}

/** Legacy `YYYY-MM-DD<TAB>HH:MM:SS:mmm<TAB> PID<TAB>TID<TAB>Component<TAB>Text`; text keeps any further TABs. */
function parseLegacyTab(text: string, line: number): LogRecord | null {
  if (
    text.charCodeAt(10) !== TAB ||
    text.charCodeAt(23) !== TAB ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON ||
    text.charCodeAt(19) !== COLON ||
    !digitsAt(text, DATE_TIME_DIGITS) ||
    !isDigit(text.charCodeAt(20)) ||
    !isDigit(text.charCodeAt(21)) ||
    !isDigit(text.charCodeAt(22)) ||
    !plausibleFixed(text)
  ) {
    return null;
  }
  const t1 = text.indexOf('\t', 24);
  if (t1 < 0) return null;
  let p = 24;
  while (text.charCodeAt(p) === SPACE) p++;
  if (p === t1 || t1 - p > MAX_PID_DIGITS) return null;
  let pid = 0;
  for (; p < t1; p++) {
    const c = text.charCodeAt(p);
    if (!isDigit(c)) return null;
    pid = pid * 10 + c - ZERO;
  }
  const t2 = text.indexOf('\t', t1 + 1);
  if (t2 <= t1 + 1) return null;
  for (let i = t1 + 1; i < t2; i++) if (!isHex(text.charCodeAt(i))) return null;
  const t3 = text.indexOf('\t', t2 + 1);
  if (t3 < 0) return null;
  const time = text.slice(0, 10) + 'T' + text.slice(11, 19) + '.' + text.slice(20, 23);
  return record(line, time, pid, text.slice(t1 + 1, t2), text.slice(t2 + 1, t3), text.slice(t3 + 1));
}

/** Legacy line whose TABs became spaces (tickets, forums). */
function parseLegacySpaced(text: string, line: number): LogRecord | null {
  const m = LEGACY_SPACED.exec(text);
  if (m === null || !plausibleFixed(m[1]! + ' ' + m[2]!)) return null;
  return record(line, `${m[1]}T${m[2]}.${m[3]}`, Number(m[4]), m[5]!, m[6]!, m[7]!);
}

/**
 * The columns after a modern timestamp: `PID TID Component Text`, PID/TID decimal padded to 5, component padded to
 * 15, one space before the text. Longer values push columns right, so this scans instead of using offsets; the text
 * keeps its own indentation (what is left after the component's padding and the separator).
 */
function parseModernColumns(text: string, line: number, at: number, time: string): LogRecord | null {
  let p = at;
  const pidStart = p;
  let pid = 0;
  for (let c = text.charCodeAt(p); isDigit(c); c = text.charCodeAt(++p)) pid = pid * 10 + c - ZERO;
  if (p === pidStart || p - pidStart > MAX_PID_DIGITS || text.charCodeAt(p) !== SPACE) return null;
  while (text.charCodeAt(p) === SPACE) p++;
  const tidStart = p;
  while (isDigit(text.charCodeAt(p))) p++;
  if (p === tidStart || text.charCodeAt(p) !== SPACE) return null;
  const tid = text.slice(tidStart, p);
  while (text.charCodeAt(p) === SPACE) p++;
  const compStart = p;
  for (let c = text.charCodeAt(p); p < text.length && c !== SPACE && c !== TAB; c = text.charCodeAt(++p));
  if (p === compStart) return null;
  const component = text.slice(compStart, p);
  const padded = compStart + Math.max(p - compStart, 15) + 1;
  let textStart = p;
  while (textStart < padded && text.charCodeAt(textStart) === SPACE) textStart++;
  return record(line, time, pid, tid, component, text.slice(Math.min(textStart, text.length)));
}

/** Modern `yyyy/MM/dd HH:mm:ss.fffffff PID TID Component Text`; date separator `/`, `-` or `.`. */
function parseModern(text: string, line: number): LogRecord | null {
  const sep = text.charCodeAt(4);
  const tsep = text.charCodeAt(13);
  if (
    (sep === SLASH || sep === DASH || sep === DOT) &&
    text.charCodeAt(7) === sep &&
    text.charCodeAt(10) === SPACE &&
    (tsep === COLON || tsep === DOT) &&
    text.charCodeAt(16) === tsep &&
    text.charCodeAt(19) === DOT &&
    digitsAt(text, DATE_TIME_DIGITS) &&
    plausibleFixed(text)
  ) {
    let p = 20;
    while (isDigit(text.charCodeAt(p))) p++;
    if (p > 20 && p - 20 <= MAX_FRACTION_DIGITS && text.charCodeAt(p) === SPACE) {
      const date = sep === DASH ? text.slice(0, 10) : `${text.slice(0, 4)}-${text.slice(5, 7)}-${text.slice(8, 10)}`;
      const clock =
        tsep === COLON ? text.slice(11, 19) : `${text.slice(11, 13)}:${text.slice(14, 16)}:${text.slice(17, 19)}`;
      return parseModernColumns(text, line, p + 1, `${date}T${clock}.${text.slice(20, p)}`);
    }
  }
  const m = MODERN_LOOSE_TIME.exec(text);
  if (m === null) return null;
  const [, y, , mo, d, h, mi, s, frac] = m;
  const time = `${y}-${mo!.padStart(2, '0')}-${d!.padStart(2, '0')}T${h!.padStart(2, '0')}:${mi}:${s}`;
  if (!plausibleFixed(time)) return null;
  return parseModernColumns(text, line, m[0].length, frac === undefined ? time : `${time}.${frac}`);
}

/** A pasted line without columns; a leading known component name is peeled off only before a TAB or 2+ spaces. */
function parseBare(text: string, line: number): LogRecord {
  let p = 0;
  for (let c = text.charCodeAt(0); (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a; c = text.charCodeAt(++p));
  if (p > 0 && p < text.length) {
    const c1 = text.charCodeAt(p);
    const sep = c1 === TAB || (c1 === SPACE && text.charCodeAt(p + 1) === SPACE);
    if (sep && KNOWN_COMPONENTS.has(text.slice(0, p).toLowerCase())) {
      let q = p;
      while (text.charCodeAt(q) === SPACE || text.charCodeAt(q) === TAB) q++;
      return record(line, null, null, null, text.slice(0, p), text.slice(q));
    }
  }
  return record(line, null, null, null, null, text);
}

/**
 * A line indented as a whole by a paste (a web page or a ticket that shifts every line by a few blanks): the record of
 * the line without the indent, or null when what follows the indent is no dated header.
 */
function parseIndented(text: string, line: number): LogRecord | null {
  let p = 1;
  while (text.charCodeAt(p) === SPACE || text.charCodeAt(p) === TAB) p++;
  // At most a few columns of indent: deeper text is a continuation, not a shifted header.
  if (p > 8 || !isDigit(text.charCodeAt(p))) return null;
  return parseHeadered(text.slice(p), line);
}

/** Parses one line (without terminator) into a record; `line` is its 1-based number in the file. */
export function parseRecord(text: string, line: number): LogRecord {
  // Empty lines are common: no read past the end (out of bounds: a deoptimisation, codes.ts hexCodeAt).
  const c0 = text.length > 0 ? text.charCodeAt(0) : -1;
  if (c0 === SPACE || c0 === TAB) {
    const r = parseIndented(text, line);
    if (r !== null) return r;
  }
  return parseHeadered(text, line) ?? parseBare(text, line);
}

/** A line in one of the dated layouts, or null. */
function parseHeadered(text: string, line: number): LogRecord | null {
  // Every dated layout is longer than 11 characters; shorter text is not read (see parseRecord).
  if (text.length < 11) return null;
  const c0 = text.charCodeAt(0);
  if (isDigit(c0)) {
    const c10 = text.charCodeAt(10);
    if (c10 === TAB) {
      const r = parseLegacyTab(text, line);
      if (r !== null) return r;
    }
    if (text.charCodeAt(4) === DASH && (c10 === SPACE || c10 === TAB)) {
      const r = parseLegacySpaced(text, line);
      if (r !== null) return r;
    }
    return parseModern(text, line);
  }
  return null;
}

/** Which layout a line was written in (legacy with or without TABs, modern, or neither); a paste's indent is skipped. */
export function lineLayout(raw: string): LineLayout {
  const text = raw.trimStart();
  if (!isDigit(text.charCodeAt(0))) return 'bare';
  if (parseLegacyTab(text, 0) !== null || parseLegacySpaced(text, 0) !== null) return 'legacy';
  return parseModern(text, 0) !== null ? 'modern' : 'bare';
}
