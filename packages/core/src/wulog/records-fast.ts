/**
 * Fast path of the record parser for lines of a valid UTF-8 region: the strict legacy TAB and the canonical modern
 * layout are checked on the bytes, where an element read costs far less than `charCodeAt` on a sliced string, and the
 * record's strings are slices of the region's decoded text. The header is ASCII, so a header byte at `x` is the
 * character at `x + (charStart - byteStart)`. Anything else returns null and goes through parseRecord (records.ts);
 * tests check that both paths give the same records.
 */
import { isCalendarDate, MAX_FRACTION_DIGITS, MAX_PID_DIGITS } from './calendar.js';
import { mayMatterAt } from './prefixes.js';
import type { LogRecord, Severity } from './types.js';

/**
 * What {@link FastRecordParser} returns instead of a record when {@link FastRecordParser.lite} is on and no finding
 * matcher can care about the line (a strict header, an info message with no known prefix): nothing is built for it.
 */
export const SKIPPED: LogRecord = Object.freeze({
  line: 0,
  time: null,
  pid: null,
  tid: null,
  component: null,
  severity: 'info',
  text: '',
});

const TAB = 0x09;
const SPACE = 0x20;
const DASH = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const COLON = 0x3a;
const ZERO = 0x30;
const STAR = 0x2a;
const HASH = 0x23;
const PLUS = 0x2b;
const W = 0x57;
const F = 0x46;

/** Digit values by byte (-1 for anything else; undefined past the end of the buffer, which compares false). */
const DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) DIGIT[ZERO + i] = i;

/** Eight spaces read as a double (see {@link FastRecordParser.stamp} on comparing bytes as doubles). */
const SPACES8 = new DataView(new Uint8Array(8).fill(SPACE).buffer).getFloat64(0, true);

/** Hex digit values by byte; -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Bytes that may continue a legacy component: anything ASCII but TAB (non-ASCII sends the line to parseRecord). */
const COMPONENT = new Uint8Array(256);
for (let i = 0; i < 0x80; i++) COMPONENT[i] = i === TAB ? 0 : 1;

/**
 * Bytes of a component in a pasted legacy line (`\S` of records.ts's LEGACY_SPACED): anything ASCII but the blanks
 * TAB, LF, VT, FF, CR and space (non-ASCII sends the line to parseRecord, which knows the Unicode blanks).
 */
const SPACED_COMPONENT = new Uint8Array(256);
for (let i = 0; i < 0x80; i++) SPACED_COMPONENT[i] = (i >= TAB && i <= 0x0d) || i === SPACE ? 0 : 1;

const CR = 0x0d;
/** Most blanks a paste may indent a whole line by (records.ts parseIndented). */
const MAX_INDENT = 8;

/** Bytes that may continue a modern component: anything ASCII but space and TAB. */
const MODERN_COMPONENT = new Uint8Array(256);
for (let i = 0; i < 0x80; i++) MODERN_COMPONENT[i] = i === TAB || i === SPACE ? 0 : 1;

/** True when all four bytes of `x` (little-endian uint32) are ASCII digits: high nibbles 3, low nibbles below 10. */
function digits4(x: number): boolean {
  return (x & 0xf0f0f0f0) === 0x30303030 && ((x + 0x06060606) & 0xf0f0f0f0) === 0x30303030;
}

const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** `.000`…`.999`: the legacy milliseconds without slicing a string per line. */
const MILLIS = Array.from({ length: 1000 }, (_, i) => '.' + String(i).padStart(3, '0'));

/** True when the date at `s` is a real calendar day (the caller checked the separators and the length). */
function plausibleDate(b: Buffer, s: number): boolean {
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
function plausibleClock(b: Buffer, s: number): boolean {
  const h0 = DIGIT[b[s + 11]!]!;
  const h1 = DIGIT[b[s + 12]!]!;
  const mi0 = DIGIT[b[s + 14]!]!;
  const mi1 = DIGIT[b[s + 15]!]!;
  const s0 = DIGIT[b[s + 17]!]!;
  const s1 = DIGIT[b[s + 18]!]!;
  if ((h0 | h1 | mi0 | mi1 | s0 | s1) < 0) return false;
  return h0 * 10 + h1 <= 23 && mi0 * 10 + mi1 <= 59 && s0 * 10 + s1 <= 60;
}

/** Parses lines of decoded regions; keeps a cache of the last timestamp prefix (`YYYY-MM-DDTHH:MM:SS`). */
export class FastRecordParser {
  /** Index in `record.text` where the message starts (after indent and WARNING:/FATAL:); set by {@link parse}. */
  bodyAt = 0;
  /**
   * When true, a line no finding matcher can care about returns {@link SKIPPED} instead of a record: the caller wants
   * findings only and has nothing open that every line must see. Most lines of a log are such lines, and building
   * their records (strings and objects) is most of the parser's work and of the garbage it leaves.
   */
  lite = false;
  /** Process of the line that last returned {@link SKIPPED} (a settings block ends at its own thread). */
  skippedPid = 0;
  /** Where the TID of that line is (its string is cut only when asked for: {@link skippedTid}). */
  private skipKey = 0;
  private skipLen = 0;
  private skipText = '';
  private skipAt = 0;
  /**
   * Whether {@link prefix} still has to be built for the clock last checked: lines that are skipped never need their
   * time, and building it for every new second was a string per line of garbage on a busy log.
   */
  private prefixStale = false;
  /** The buffer {@link view} reads (the decoder passes one region for many lines). */
  private viewOf: Buffer | null = null;
  private view: DataView = EMPTY_VIEW;
  /**
   * Bytes 0–7 and 2–9 (the date) and 11–18 (the clock) of the last checked timestamp, read as doubles. A header that
   * passed the checks is ASCII, whose doubles are never NaN or ±0, so equal doubles mean equal bytes: a line of the
   * same second as the last one costs three reads instead of fourteen digit checks and a new prefix.
   */
  private date0 = NaN;
  private date2 = NaN;
  private clock = NaN;
  /** `YYYY-MM-DDT` of {@link date0}/{@link date2}. */
  private dateT = '';
  /** `YYYY-MM-DDTHH:MM:SS` of the last checked timestamp. */
  private prefix = '';
  /** Lines written in the same millisecond share one time string. */
  private lastMs = -1;
  private lastTime = '';
  private lastTidKey = -(2 ** 30); // no TID of 8 digits or fewer has this key
  private lastTid = '';

  /** Record for bytes `[s, e)` / characters `[cs, ce)` (CR excluded), or null when not in a strict layout. */
  parse(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    const r = b[s + 10] === TAB ? this.legacy(b, s, e, text, cs, ce, line) : this.modern(b, s, e, text, cs, ce, line);
    return r ?? this.pasted(b, s, e, text, cs, ce, line);
  }

  /** The legacy TAB layout `YYYY-MM-DD<TAB>HH:MM:SS:mmm<TAB> PID<TAB>TID<TAB>Component<TAB>Text`, else null. */
  legacy(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    const off = cs - s;
    if (
      e - s < 24 ||
      b[s + 10] !== TAB ||
      b[s + 4] !== DASH ||
      b[s + 7] !== DASH ||
      b[s + 13] !== COLON ||
      b[s + 16] !== COLON ||
      b[s + 19] !== COLON ||
      b[s + 23] !== TAB
    ) {
      return null;
    }
    const m0 = DIGIT[b[s + 20]!]!;
    const m1 = DIGIT[b[s + 21]!]!;
    const m2 = DIGIT[b[s + 22]!]!;
    if ((m0 | m1 | m2) < 0) return null;
    if (!this.stamp(b, b === this.viewOf ? this.view : this.viewFor(b), s, text, s + off, DASH, s + 11)) return null;
    let p = s + 24;
    while (b[p] === SPACE) p++;
    const pidStart = p;
    let pid = 0;
    for (let c = DIGIT[b[p]!]!; c >= 0; c = DIGIT[b[++p]!]!) pid = pid * 10 + c;
    if (p === pidStart || p - pidStart > MAX_PID_DIGITS || b[p] !== TAB || p >= e) return null;
    const tidStart = ++p;
    let tidValue = 0;
    let tidCase = 0; // bit 5 of each character: 0 for A-F, so "A70" and "a70" differ
    for (let c = HEX[b[p]!]!; c >= 0; c = HEX[b[++p]!]!) {
      tidValue = tidValue * 16 + c;
      tidCase = tidCase * 2 + ((b[p]! >> 5) & 1);
    }
    if (p === tidStart || b[p] !== TAB || p >= e) return null;
    const tidEnd = p;
    const compStart = ++p;
    while (p < e && COMPONENT[b[p]!] === 1) p++;
    if (p >= e || b[p] !== TAB) return null;
    const textStart = p + 1;
    const severity = this.body(b, textStart, e);
    if (this.lite && !mayMatterAt(b, textStart + this.bodyAt, e, severity === 'info')) {
      this.skipped(pid, tidValue * 256 + tidCase, tidEnd - tidStart, text, tidStart + off);
      return SKIPPED;
    }
    if (this.prefixStale) this.buildPrefix(text, s + 11 + off);
    const ms = m0 * 100 + m1 * 10 + m2;
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTime = this.prefix + MILLIS[ms]!;
    }
    return {
      line,
      time: this.lastTime,
      pid,
      tid: this.tid(tidValue * 256 + tidCase, tidEnd - tidStart, text, tidStart + off),
      component: text.slice(compStart + off, p + off),
      severity,
      text: text.slice(textStart + off, ce),
    };
  }

  /**
   * What {@link legacy} and {@link modern} turn away but a paste often holds, read on the bytes as well: a line
   * indented as a whole (records.ts parseIndented; the line after the indent is parsed as a line of its own), and a
   * legacy line whose TABs became spaces ({@link spaced}). Null for anything else (parseRecord decides).
   */
  pasted(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    const c0 = b[s];
    if (c0 !== SPACE && c0 !== TAB) return this.spaced(b, s, e, text, cs, ce, line);
    let q = s + 1;
    while (q < e && (b[q] === SPACE || b[q] === TAB)) q++;
    if (q >= e || q - s > MAX_INDENT || DIGIT[b[q]!]! < 0) return null;
    // The indent is ASCII: the same shift in bytes and characters.
    const qc = cs + (q - s);
    const r = b[q + 10] === TAB ? this.legacy(b, q, e, text, qc, ce, line) : this.modern(b, q, e, text, qc, ce, line);
    return r ?? this.spaced(b, q, e, text, qc, ce, line);
  }

  /**
   * A legacy line whose TABs became spaces (tickets, forums): records.ts's LEGACY_SPACED
   * (`YYYY-MM-DD HH:MM:SS[:.]mmm PID TID Component Text`, runs of spaces or TABs between the columns) on the bytes;
   * null for anything else, and whenever the expression could decide
   * differently (a CR or a non-ASCII byte in the text, which its `.` and `\S` treat by Unicode rules).
   */
  spaced(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    const off = cs - s;
    const c10 = b[s + 10];
    if (e - s < 24 || b[s + 4] !== DASH || b[s + 7] !== DASH || (c10 !== SPACE && c10 !== TAB)) return null;
    // The clock, after a run of blanks (pastes of column-aligned text have many).
    let k = s + 11;
    while (k < e && (b[k] === SPACE || b[k] === TAB)) k++;
    const k8 = b[k + 8];
    const k12 = b[k + 12];
    if (
      e - k < 13 ||
      b[k + 2] !== COLON ||
      b[k + 5] !== COLON ||
      (k8 !== COLON && k8 !== DOT) ||
      (k12 !== SPACE && k12 !== TAB)
    ) {
      return null;
    }
    const m0 = DIGIT[b[k + 9]!]!;
    const m1 = DIGIT[b[k + 10]!]!;
    const m2 = DIGIT[b[k + 11]!]!;
    if ((m0 | m1 | m2) < 0) return null;
    if (!this.stamp(b, b === this.viewOf ? this.view : this.viewFor(b), s, text, s + off, DASH, k)) return null;
    let p = k + 13;
    while (p < e && (b[p] === SPACE || b[p] === TAB)) p++;
    const pidStart = p;
    let pid = 0;
    for (let c = DIGIT[b[p]!]!; c >= 0 && p < e; c = DIGIT[b[++p]!]!) pid = pid * 10 + c;
    if (p === pidStart || p - pidStart > MAX_PID_DIGITS || p >= e || (b[p] !== SPACE && b[p] !== TAB)) return null;
    while (p < e && (b[p] === SPACE || b[p] === TAB)) p++;
    const tidStart = p;
    let tidValue = 0;
    let tidCase = 0;
    for (let c = HEX[b[p]!]!; c >= 0 && p < e; c = HEX[b[++p]!]!) {
      tidValue = tidValue * 16 + c;
      tidCase = tidCase * 2 + ((b[p]! >> 5) & 1);
    }
    if (p === tidStart || p >= e || (b[p] !== SPACE && b[p] !== TAB)) return null;
    const tidEnd = p;
    while (p < e && (b[p] === SPACE || b[p] === TAB)) p++;
    const compStart = p;
    while (p < e && SPACED_COMPONENT[b[p]!] === 1) p++;
    if (p === compStart || p >= e || (b[p] !== SPACE && b[p] !== TAB)) return null;
    const compEnd = p;
    while (p < e && (b[p] === SPACE || b[p] === TAB)) p++;
    const textStart = p;
    for (let k = textStart; k < e; k++) {
      const c = b[k]!;
      if (c === CR || c >= 0x80) return null;
    }
    const severity = this.body(b, textStart, e);
    if (this.lite && !mayMatterAt(b, textStart + this.bodyAt, e, severity === 'info')) {
      this.skipped(pid, tidValue * 256 + tidCase, tidEnd - tidStart, text, tidStart + off);
      return SKIPPED;
    }
    if (this.prefixStale) this.buildPrefix(text, k + off);
    const ms = m0 * 100 + m1 * 10 + m2;
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTime = this.prefix + MILLIS[ms]!;
    }
    return {
      line,
      time: this.lastTime,
      pid,
      tid: this.tid(tidValue * 256 + tidCase, tidEnd - tidStart, text, tidStart + off),
      component: text.slice(compStart + off, compEnd + off),
      severity,
      text: text.slice(textStart + off, ce),
    };
  }

  /** `yyyy/MM/dd HH:mm:ss.fffffff PID TID Component Text` with `/`, `-` or `.` dates and a `:` time. */
  modern(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    const off = cs - s;
    const sep = b[s + 4]!;
    if (
      e - s < 24 ||
      b[s + 10] !== SPACE ||
      (sep !== SLASH && sep !== DASH && sep !== DOT) ||
      b[s + 7] !== sep ||
      b[s + 13] !== COLON ||
      b[s + 16] !== COLON ||
      b[s + 19] !== DOT
    ) {
      return null;
    }
    const view = b === this.viewOf ? this.view : this.viewFor(b);
    if (!this.stamp(b, view, s, text, s + off, sep, s + 11)) return null;
    let p = s + 20;
    // Get-WindowsUpdateLog writes seven fraction digits: two 4-byte reads check them (overlapping by one).
    if (
      e - s > 27 &&
      b[s + 27] === SPACE &&
      digits4(view.getUint32(s + 20, true)) &&
      digits4(view.getUint32(s + 23, true))
    ) {
      p = s + 27;
    } else {
      while (DIGIT[b[p]!]! >= 0) p++;
    }
    // A `-` date with 3 fraction digits may be a pasted legacy line; the string parser decides those (and lines with
    // more fraction digits than a clock has, which it does not take as headers).
    if (p === s + 20 || b[p] !== SPACE || (sep === DASH && p === s + 23) || p - s - 20 > MAX_FRACTION_DIGITS) {
      return null;
    }
    const fracEnd = p++;
    const pidStart = p;
    let pid = 0;
    for (let c = DIGIT[b[p]!]!; c >= 0; c = DIGIT[b[++p]!]!) pid = pid * 10 + c;
    if (p === pidStart || p - pidStart > MAX_PID_DIGITS || b[p] !== SPACE || p >= e) return null;
    while (b[p] === SPACE) p++;
    const tidStart = p;
    let tidValue = 0;
    for (let c = DIGIT[b[p]!]!; c >= 0; c = DIGIT[b[++p]!]!) tidValue = tidValue * 10 + c;
    if (p === tidStart || b[p] !== SPACE || p >= e) return null;
    const tidEnd = p;
    while (b[p] === SPACE) p++;
    const compStart = p;
    while (p < e && MODERN_COMPONENT[b[p]!] === 1) p++;
    if (p === compStart || (p < e && b[p]! >= 0x80)) return null;
    // Same rule as the string parser: skip the component's padding to 15 and one separator, keep the rest.
    const padded = compStart + Math.max(p - compStart, 15) + 1;
    const stop = padded < e ? padded : e;
    let textStart = p;
    // The padding is often ten spaces or more: eight at a time first.
    while (textStart + 8 <= stop && view.getFloat64(textStart, true) === SPACES8) textStart += 8;
    while (textStart < stop && b[textStart] === SPACE) textStart++;
    const severity = this.body(b, textStart, e);
    if (this.lite && !mayMatterAt(b, textStart + this.bodyAt, e, severity === 'info')) {
      this.skipped(pid, -1 - tidValue, tidEnd - tidStart, text, tidStart + off);
      return SKIPPED;
    }
    if (this.prefixStale) this.buildPrefix(text, s + 11 + off);
    return {
      line,
      time: this.prefix + text.slice(s + 19 + off, fracEnd + off),
      pid,
      tid: this.tid(-1 - tidValue, tidEnd - tidStart, text, tidStart + off),
      component: text.slice(compStart + off, p + off),
      severity,
      text: textStart < e ? text.slice(textStart + off, ce) : '',
    };
  }

  /** The TID of the line that last returned {@link SKIPPED}, cut from its text now (call before the next line). */
  get skippedTid(): string {
    return this.tid(this.skipKey, this.skipLen, this.skipText, this.skipAt);
  }

  /** Remembers the skipped line's process and where its TID is. */
  private skipped(pid: number, key: number, length: number, text: string, at: number): void {
    this.skippedPid = pid;
    this.skipKey = key;
    this.skipLen = length;
    this.skipText = text;
    this.skipAt = at;
  }

  /** {@link prefix} for the clock last checked, from the clock at character `c` of `text` (which has that clock). */
  private buildPrefix(text: string, c: number): void {
    this.prefix = this.dateT + text.slice(c, c + 8);
    this.lastMs = -1;
    this.prefixStale = false;
  }

  /**
   * The TID string, reusing the last one when the key matches: lines come in bursts from one thread. `key` encodes
   * the characters exactly together with the length (legacy: hex value and letter case; modern: -1 - decimal value).
   */
  private tid(key: number, length: number, text: string, at: number): string {
    // Beyond 8 digits the key is no longer exact (doubles): slice such rare TIDs every time.
    if (length > 8) return text.slice(at, at + length);
    if (key !== this.lastTidKey || length !== this.lastTid.length) {
      this.lastTidKey = key;
      this.lastTid = text.slice(at, at + length);
    }
    return this.lastTid;
  }

  /**
   * Checks the date and clock of the header at byte `s` (character `t`; the caller checked the separators and the
   * length) and sets {@link prefix}; false when they are not plausible. `view` reads `b`; `sep` is the date separator.
   */
  private stamp(b: Buffer, view: DataView, s: number, text: string, t: number, sep: number, c: number): boolean {
    const d0 = view.getFloat64(s, true);
    const d2 = view.getFloat64(s + 2, true);
    const clock = view.getFloat64(c, true);
    if (d0 !== this.date0 || d2 !== this.date2) {
      if (!plausibleDate(b, s)) return false;
      const date =
        sep === DASH
          ? text.slice(t, t + 10)
          : `${text.slice(t, t + 4)}-${text.slice(t + 5, t + 7)}-${text.slice(t + 8, t + 10)}`;
      this.dateT = date + 'T';
      this.date0 = d0;
      this.date2 = d2;
      this.clock = NaN;
    } else if (clock === this.clock) {
      return true;
    }
    if (!plausibleClock(b, c - 11)) return false;
    this.clock = clock;
    this.prefixStale = true;
    return true;
  }

  /** Drops the reference to the last buffer read, so that no caller's chunk is kept alive between two pushes. */
  release(): void {
    this.viewOf = null;
    this.view = EMPTY_VIEW;
    this.skipText = '';
  }

  private viewFor(b: Buffer): DataView {
    this.viewOf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return this.view;
  }

  /** Severity of the text at `[t, e)`; sets {@link bodyAt} relative to `t` (mirrors message.ts on bytes). */
  private body(b: Buffer, t: number, e: number): Severity {
    let i = t;
    while (i < e && (b[i] === SPACE || b[i] === TAB)) i++;
    const c = b[i];
    if ((c === STAR || c === HASH || c === PLUS || c === DASH) && b[i + 1] === SPACE && i + 1 < e) {
      i += 2;
      while (i < e && (b[i] === SPACE || b[i] === TAB)) i++;
    }
    let severity: Severity = 'info';
    if (b[i] === W && i + 8 <= e && b[i + 7] === COLON && b[i + 1] === 0x41 && isAt(b, i, 'WARNING:')) {
      severity = 'warning';
      i += 8;
    } else if (b[i] === F && i + 6 <= e && b[i + 5] === COLON && isAt(b, i, 'FATAL:')) {
      severity = 'fatal';
      i += 6;
    }
    if (severity !== 'info') while (i < e && (b[i] === SPACE || b[i] === TAB)) i++;
    this.bodyAt = i - t;
    return severity;
  }
}

function isAt(b: Buffer, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}
