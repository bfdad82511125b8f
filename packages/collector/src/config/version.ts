/** The collector's version: one fact, read from its package.json, for --version, build info and the API document. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The collector package's version (same relative path from src/ and dist/), or "unknown" when unreadable. */
export function collectorVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
