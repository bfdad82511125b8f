/** Plain-text tables for the CLI. */
import { showControlsInline } from '../escaping/terminal.js';

/** Renders rows as a left-aligned table with a header line. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  // Cells are agent data (hostnames, reasons): a control code or newline in one must not rewrite the terminal.
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : showControlsInline(String(c)))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
