/**
 * Secrets by construction (issue 14, finding 1): a secret from the config is a {@link Secret}, not a string, so
 * the only way to its value is `reveal()` at the one place that uses it. Logging, JSON, string conversion and
 * `util.inspect` all print a redacted form, whatever path the value takes (config dump, an error, a log object).
 */
import { inspect } from 'node:util';
import * as z from 'zod';

/** What a redacted secret prints as. */
export const REDACTED = '[redacted]';

/** A secret value that prints redacted. */
export class Secret {
  readonly #value: string;
  readonly #shown: string;

  /** `shown` is what printing it says (default `[redacted]`; a URL shows its scheme and host). */
  constructor(value: string, shown: string = REDACTED) {
    this.#value = value;
    this.#shown = shown;
  }

  /** The secret itself; call it only where the value is handed to what needs it. */
  reveal(): string {
    return this.#value;
  }

  /** The redacted form (JSON.stringify, pino). */
  toJSON(): string {
    return this.#shown;
  }

  /** The redacted form (template strings, concatenation). */
  toString(): string {
    return this.#shown;
  }

  /** The redacted form (console.log, util.inspect). */
  [inspect.custom](): string {
    return this.#shown;
  }
}

/**
 * A URL that may carry a credential in its user info, path or query: only scheme, host and port are shown,
 * with `/…` when a path or query was cut.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const auth = u.username || u.password ? `${REDACTED}@` : '';
    return `${u.protocol}//${auth}${u.host}${u.pathname.length > 1 || u.search ? '/…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Wraps a string schema so its parsed value is a {@link Secret}; an already wrapped Secret (a config parsed again)
 * is checked by its value. The inner schema's messages are kept, and zod never echoes the value itself.
 */
export function secret(schema: z.ZodType<string>, show: (value: string) => string = () => REDACTED) {
  return z.preprocess((v) => (v instanceof Secret ? v.reveal() : v), schema).transform((v) => new Secret(v, show(v)));
}

/** Like {@link secret} for URLs: printed as `show` makes it (default scheme, host and port, {@link redactUrl}). */
export function secretUrl(schema: z.ZodType<string>, show: (url: string) => string = redactUrl) {
  return secret(schema, show);
}

/** A URL with only its password redacted (a database URL: host and database name help the operator). */
export function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = REDACTED;
    return u.toString();
  } catch {
    return REDACTED;
  }
}

/** The value of an optional secret. */
export function reveal(s: Secret | undefined): string | undefined {
  return s?.reveal();
}
