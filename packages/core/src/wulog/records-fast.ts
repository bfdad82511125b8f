/**
 * Fast path of the record parser for lines of a valid UTF-8 region: the strict legacy TAB and the canonical modern
 * layout are checked on the bytes, where an element read costs far less than `charCodeAt` on a sliced string, and the
 * record's strings are slices of the region's decoded text. The header is ASCII, so a header byte at `x` is the
 * character at `x + (charStart - byteStart)`. Anything else returns null and goes through parseRecord (records.ts);
 * tests check that both paths give the same records.
 */
import { MAX_FRACTION_DIGITS, MAX_PID_DIGITS } from './calendar.js';
import {
  TAB,
  SPACE,
  DASH,
  DOT,
  SLASH,
  COLON,
  STAR,
  HASH,
  PLUS,
  W,
  F,
  CR,
  DIGIT,
  SPACES8,
  HEX,
  COMPONENT,
  SPACED_COMPONENT,
  MAX_INDENT,
  MODERN_COMPONENT,
  digits4,
  EMPTY_VIEW,
  MILLIS,
  plausibleDate,
  plausibleClock,
  isAt,
} from './header-bytes.js';
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
    const ms = m0 * 100 + m1 * 10 + m2;
    const tidKey = tidValue * 256 + tidCase;
    return this.legacyRecord(b, e, text, off, ce, line, s + 11, ms, pid, tidKey, tidStart, tidEnd, compStart, p, p + 1);
  }

  /**
   * What {@link legacy} and {@link modern} turn away but a paste often holds, read on the bytes as well: a line
   * indented as a whole (records.ts parseIndented; the line after the indent is parsed as a line of its own), and a
   * legacy line whose TABs became spaces ({@link spaced}). Null for anything else (parseRecord decides).
   */
  pasted(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    if (s >= e) return null; // an empty line (a read of b[s] could be past the buffer's end)
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
    if (e - s < 24) return null; // before any read: one past the buffer's end would deoptimise (codes.ts hexCodeAt)
    const c10 = b[s + 10];
    if (b[s + 4] !== DASH || b[s + 7] !== DASH || (c10 !== SPACE && c10 !== TAB)) return null;
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
    const ms = m0 * 100 + m1 * 10 + m2;
    const tidKey = tidValue * 256 + tidCase;
    return this.legacyRecord(
      b,
      e,
      text,
      off,
      ce,
      line,
      k,
      ms,
      pid,
      tidKey,
      tidStart,
      tidEnd,
      compStart,
      compEnd,
      textStart,
    );
  }

  /**
   * What {@link legacy} and {@link spaced} share once their columns are found (byte offsets; `off` turns them into
   * characters of `text`): {@link SKIPPED} for a line no matcher wants while {@link lite}, else the record, its time
   * from the clock at byte `clock` and milliseconds `ms`, its TID from `tidKey` (hex value and letter case).
   */
  private legacyRecord(
    b: Buffer,
    e: number,
    text: string,
    off: number,
    ce: number,
    line: number,
    clock: number,
    ms: number,
    pid: number,
    tidKey: number,
    tidStart: number,
    tidEnd: number,
    compStart: number,
    compEnd: number,
    textStart: number,
  ): LogRecord {
    const severity = this.body(b, textStart, e);
    if (this.lite && !mayMatterAt(b, textStart + this.bodyAt, e, severity === 'info')) {
      this.skipped(pid, tidKey, tidEnd - tidStart, text, tidStart + off);
      return SKIPPED;
    }
    if (this.prefixStale) this.buildPrefix(text, clock + off);
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastTime = this.prefix + MILLIS[ms]!;
    }
    return {
      line,
      time: this.lastTime,
      pid,
      tid: this.tid(tidKey, tidEnd - tidStart, text, tidStart + off),
      component: text.slice(compStart + off, compEnd + off),
      severity,
      text: text.slice(textStart + off, ce),
    };
  }

  /** `yyyy/MM/dd HH:mm:ss.fffffff PID TID Component Text` with `/`, `-` or `.` dates and a `:` time. */
  modern(b: Buffer, s: number, e: number, text: string, cs: number, ce: number, line: number): LogRecord | null {
    if (e - s < 24) return null; // before any read (see spaced)
    const off = cs - s;
    const sep = b[s + 4]!;
    if (
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
