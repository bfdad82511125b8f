/**
 * Escaping for e-mail (issue 14, finding 4): a header value (the subject) must stay one line, so CR, LF and every
 * other control code become visible text and the value is clipped; the plain-text body keeps its newlines.
 */
import { showControls, showControlsInline } from './terminal.js';

/** Longest subject sent; mail clients cut long ones anyway, and a header has no business being huge. */
export const SUBJECT_MAX = 200;

/** A single-line header value: control codes visible, clipped to {@link SUBJECT_MAX}. */
export function headerText(s: string): string {
  const line = showControlsInline(s);
  return line.length > SUBJECT_MAX ? `${line.slice(0, SUBJECT_MAX - 1)}…` : line;
}

/** A plain-text body: newlines kept, other control codes visible. */
export function bodyText(s: string): string {
  return showControls(s);
}
