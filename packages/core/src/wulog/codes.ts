/** Small text helpers shared by the finding trackers: codes, thread identity, value cleanup. */
import { formatHresult, type Hresult } from '../hresult/normalize.js';
import type { LogRecord } from './types.js';
import { LIMITS } from '../protocol/limits.js';

const HEX = /^(?:0[xX])?([0-9A-Fa-f]{1,8})$/;
/** The same few codes repeat through a log; normalising each spelling once keeps this off the profile. */
const cache = new Map<string, Hresult | null>();

/** Hex as the log writes it after a label (`0x8024402c`, `80072ee2`): always hex, even without letters. */
export function hexCode(raw: string | undefined): Hresult | null {
  if (raw === undefined || raw === '') return null;
  let code = cache.get(raw);
  if (code === undefined) {
    const m = HEX.exec(raw);
    code = m === null ? null : formatHresult(parseInt(m[1]!, 16));
    if (cache.size >= 256) cache.clear();
    cache.set(raw, code);
  }
  return code;
}

/**
 * Hex digit values by UTF-16 code unit; -1 for other characters. Sized for every code unit so that a non-ASCII
 * character is an ordinary read, not an out-of-bounds one (which V8 deoptimises on).
 */
const HEX_VALUE = new Int8Array(65536).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}
const byValue = new Map<number, Hresult>();

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f;
}

/**
 * The code written at `i` as `0x` + 1–8 hex digits or 1–8 bare hex digits, ending at a word boundary (what the
 * regex `(?:0x)?[0-9A-Fa-f]{1,8}\b` accepts); null otherwise. Reads characters instead of running a regex and
 * slicing: exit-code lines are frequent in a failing client's log.
 */
export function hexCodeAt(text: string, i: number): Hresult | null {
  // Reads stop at the end of the text: a read past it would be out of bounds, which V8 deoptimises on (a code at the
  // end of a line is common), and recompiling costs a one-pass parse more than the check.
  const end = text.length;
  let p = i;
  if (p + 1 < end && text.charCodeAt(p) === 0x30 && (text.charCodeAt(p + 1) | 0x20) === 0x78) p += 2;
  let value = 0;
  const start = p;
  for (
    let d = p < end ? HEX_VALUE[text.charCodeAt(p)]! : -1;
    d >= 0 && p - start < 9;
    d = ++p < end ? HEX_VALUE[text.charCodeAt(p)]! : -1
  ) {
    value = value * 16 + d;
  }
  if (p === start || p - start > 8 || (p < end && isWordChar(text.charCodeAt(p)))) return null;
  let code = byValue.get(value);
  if (code === undefined) {
    code = formatHresult(value);
    if (byValue.size >= 256) byValue.clear();
    byValue.set(value, code);
  }
  return code;
}

/** The run of non-blank characters at `i` (found with native searches: server URLs are long). */
export function tokenAt(text: string, i: number): string {
  const space = text.indexOf(' ', i);
  const tab = text.indexOf('\t', i);
  const end = space < 0 ? (tab < 0 ? text.length : tab) : tab < 0 || space < tab ? space : tab;
  return text.slice(i, end);
}

/**
 * A code after `error`, `error =`, `hr =`, `err =`: needs `0x` or all 8 digits so words such as "added" never match.
 * The blanks before the `=` belong to the optional group, not to a second `\s*` beside the first: two adjacent
 * `\s*` can split a run of blanks in quadratically many ways, and a line of a megabyte of blanks after "error" hung.
 */
const LABELLED_CODE = /\b(?:error|err|hr)(?:\s*[=:])?\s*(0x[0-9A-Fa-f]{1,8}|[0-9A-Fa-f]{8})\b/gi;

/** The first labelled code in `text` from `from`, normalised; null when there is none. */
export function labelledCode(text: string, from = 0): Hresult | null {
  LABELLED_CODE.lastIndex = from;
  const m = LABELLED_CODE.exec(text);
  return m === null ? null : hexCode(m[1]);
}

const WIDE = /[\u0100-\uffff]/;
/** Copies made so far: the same callers, server URLs and policy values come back cycle after cycle. */
const detached = new Map<string, string>();

/** The longest text field the wire accepts (protocol/limits.ts, which imports nothing, so parse-log stays light). */
export const MAX_TEXT_FIELD = LIMITS.maxTextField;

/**
 * `s` cut to at most {@link MAX_TEXT_FIELD} characters (never between the two halves of a surrogate pair): what
 * the wire accepts for a text field. A hostile or corrupt log can put a megabyte on one line, and a finding that
 * carries it whole would be refused by the agent's own event check instead of being reported.
 */
export function clipText(s: string): string {
  if (s.length <= MAX_TEXT_FIELD) return s;
  const last = s.charCodeAt(MAX_TEXT_FIELD - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_TEXT_FIELD - 1 : MAX_TEXT_FIELD);
}

/**
 * A copy of `s` that shares no memory with the text it was cut from, at most {@link MAX_TEXT_FIELD} characters
 * long ({@link clipText}). A V8 substring of 13+ characters points into its parent, so a finding holding one would
 * keep a whole 64 KiB chunk of the log alive (in the agent's queue, in the young generation the garbage collector
 * copies). Used for every string a finding keeps.
 */
export function detach(s: string): string;
export function detach(s: string | null): string | null;
export function detach(s: string | null): string | null {
  if (s === null || s.length < 13) return s;
  if (s.length > MAX_TEXT_FIELD) s = clipText(s);
  let copy = detached.get(s);
  if (copy === undefined) {
    const encoding = WIDE.test(s) ? 'utf16le' : 'latin1';
    copy = Buffer.from(s, encoding).toString(encoding);
    // Bounded: at most 256 entries of at most 512 characters (a pathological log cannot grow it).
    if (copy.length <= 512) {
      if (detached.size >= 256) detached.clear();
      detached.set(copy, copy);
    }
  }
  return copy;
}

/** True when two records come from the same process and thread (records without a header match each other). */
export function sameThread(a: { pid: number | null; tid: string | null }, b: LogRecord): boolean {
  return a.pid === b.pid && a.tid === b.tid;
}
