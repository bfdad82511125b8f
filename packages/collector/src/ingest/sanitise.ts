/**
 * String sanitising for agent-supplied values: what PostgreSQL text/jsonb cannot store (NUL, lone UTF-16
 * surrogates, which jsonb refuses as `\ud800` escapes) and what a terminal would execute (C0/C1 control codes)
 * becomes U+FFFD. Tab, newline and carriage return stay: multi-line log text is legitimate.
 */

// Lone surrogates (a high one not followed by a low one, a low one not preceded by a high one); C0 controls except
// \t \n \r; DEL; C1 controls.
const BAD =
  // eslint-disable-next-line no-control-regex -- matching control codes is the point
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const REPLACEMENT = '\uFFFD';

/** Returns `s` with lone surrogates and control codes replaced by U+FFFD (the same string when already clean). */
export function sanitiseString(s: string): string {
  BAD.lastIndex = 0;
  return BAD.test(s) ? s.replace(BAD, REPLACEMENT) : s;
}

/** Result of sanitising a JSON value: the clean value and how many strings (values or keys) were changed. */
export interface Sanitised<T> {
  value: T;
  changed: number;
}

/** Sanitises every string and object key in a JSON value (as produced by JSON.parse), depth-first. */
export function sanitiseJson<T>(input: T): Sanitised<T> {
  let changed = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const c = sanitiseString(v);
      if (c !== v) changed++;
      return c;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const ck = sanitiseString(k);
        if (ck !== k) changed++;
        // defineProperty: a key "__proto__" from JSON.parse stays a plain key instead of setting the prototype.
        Object.defineProperty(out, ck, { value: walk(x), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };
  const value = walk(input) as T;
  return { value, changed };
}
