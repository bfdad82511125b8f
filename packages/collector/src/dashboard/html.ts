/**
 * The `html` tagged template: every interpolated value is escaped unless it is already SafeHtml, so a hostname
 * like `<script>alert(1)</script>` reported by an agent is shown as text, never run. The only ways to put markup
 * in a page are literal template text and values built by `html` itself (or, for trusted constants, `raw`).
 */

/** A string of HTML that is safe to insert as-is (built by {@link html} or {@link raw}). */
export class SafeHtml {
  constructor(readonly value: string) {}

  /** The markup itself, so a SafeHtml can be sent as a response body. */
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for use in HTML content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

/** Marks a trusted constant string as HTML (never pass data from an agent or a request here). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // A stray object shows as its JSON, never as "[object Object]".
  return escapeHtml(JSON.stringify(value) ?? '');
}

/** Builds HTML from a template; values are escaped, arrays are concatenated, null/undefined/false render nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** A local link with query parameters (empty and undefined parameters are left out); escape it with `html`. */
export function href(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
