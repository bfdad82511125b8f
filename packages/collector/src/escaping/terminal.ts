/**
 * Escaping for terminals (issue 14, finding 4): agent-supplied strings (a hostname, an OS version, a log line) can
 * carry ESC sequences that recolour, retitle or rewrite the operator's terminal, carriage returns that overwrite a
 * line, and bidi overrides that reorder it. Such characters are shown as `\uXXXX` text instead; the same notation
 * is a valid JSON escape, so JSON output stays valid and equal.
 */
import { Writable } from 'node:stream';

// C0 controls except \t and \n, DEL, C1 controls, bidi embeddings/overrides/isolates, line and paragraph separators.
// eslint-disable-next-line no-control-regex -- matching control codes is the point
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
// In a table cell a newline or tab would forge rows or columns too.
// eslint-disable-next-line no-control-regex -- matching control codes is the point
const UNSAFE_IN_CELL = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

const visible = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Shows control codes (except tab and newline) as `\uXXXX` text. */
export function showControls(s: string): string {
  return s.replace(UNSAFE, visible);
}

/** Shows every control code, tab and newline included, as `\uXXXX` text: for one table cell or one line. */
export function showControlsInline(s: string): string {
  return s.replace(UNSAFE_IN_CELL, visible);
}

/** A stream that writes to `target` with control codes made visible ({@link showControls}). */
export function terminalSafe(target: Writable): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      // Calling back at once keeps writes synchronous, like the process streams it wraps (no loss at exit).
      target.write(showControls(chunk.toString()));
      cb();
    },
  });
}
