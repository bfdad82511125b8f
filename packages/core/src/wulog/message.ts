/**
 * Helpers over a record's message text shared by the record parser and the findings: where the message starts after
 * the client's indent markers (`  * `, `# `, `+ `, `- `) and after a `WARNING:`/`FATAL:` prefix.
 */
import type { Severity } from './types.js';

const SPACE = 0x20;
const TAB = 0x09;
const STAR = 0x2a;
const HASH = 0x23;
const PLUS = 0x2b;
const DASH = 0x2d;
const W = 0x57;
const F = 0x46;

/** Index of the first character that is not a space or TAB at or after `from`. */
export function skipBlanks(text: string, from: number): number {
  let i = from;
  let c = text.charCodeAt(i);
  while (c === SPACE || c === TAB) c = text.charCodeAt(++i);
  return i;
}

/**
 * `text.startsWith(word, at)` for a non-empty `word` and `at >= 0`, faster on V8 when the word is there: the native
 * search compares the characters in bulk where startsWith goes one by one (several times slower for 10+ characters).
 * The first and last characters are compared first, so most other text is turned away before any search (which would
 * otherwise run on to the end of the line).
 */
export function startsWithAt(text: string, word: string, at: number): boolean {
  const last = word.length - 1;
  return (
    at + last < text.length && // no read past the end (out of bounds: a deoptimisation, codes.ts hexCodeAt)
    text.charCodeAt(at) === word.charCodeAt(0) &&
    text.charCodeAt(at + last) === word.charCodeAt(last) &&
    text.indexOf(word, at) === at
  );
}

/** Index after leading blanks and one indent marker (`* `, `# `, `+ `, `- `) with the blanks that follow it. */
export function indentEnd(text: string): number {
  const i = skipBlanks(text, 0);
  const c = text.charCodeAt(i);
  if ((c === STAR || c === HASH || c === PLUS || c === DASH) && text.charCodeAt(i + 1) === SPACE) {
    return skipBlanks(text, i + 2);
  }
  return i;
}

/** Severity of the message starting at `at` (an index from {@link indentEnd}). */
export function severityAt(text: string, at: number): Severity {
  const c = text.charCodeAt(at);
  if (c === W && text.startsWith('WARNING:', at)) return 'warning';
  if (c === F && text.startsWith('FATAL:', at)) return 'fatal';
  return 'info';
}

/** Severity from a `WARNING:`/`FATAL:` prefix of the text after any indent marker; else info. */
export function severityOf(text: string): Severity {
  return severityAt(text, indentEnd(text));
}

/** Index where the message proper starts: after the indent and a `WARNING:`/`FATAL:` prefix. */
export function bodyStart(text: string, severity: Severity): number {
  const i = indentEnd(text);
  if (severity === 'info') return i;
  return skipBlanks(text, i + (severity === 'warning' ? 8 : 6));
}
