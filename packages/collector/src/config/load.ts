/** Loads the collector configuration once at start: file, then environment, validated and frozen. */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { makeError } from '@wuwatch/core';
import { CollectorConfig } from './schema.js';

/** What replaces a secret in logged or printed config. */
export const REDACTED = '[redacted]';

/** Environment variables and the config keys they set. */
export const ENV_KEYS: Record<string, (v: string) => Record<string, unknown>> = {
  WUWATCH_HOST: (v) => ({ host: v }),
  WUWATCH_PORT: (v) => ({ port: Number(v) }),
  DATABASE_URL: (v) => ({ databaseUrl: v }),
  WUWATCH_DATA_DIR: (v) => ({ dataDir: v }),
  WUWATCH_LOG_LEVEL: (v) => ({ logLevel: v }),
  WUWATCH_ADMIN_TOKEN: (v) => ({ adminToken: v }),
  WUWATCH_TLS_CERT: (v) => ({ tls: { certFile: v } }),
  WUWATCH_TLS_KEY: (v) => ({ tls: { keyFile: v } }),
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k], v) : v;
  return out;
}

function deepFreeze<T>(o: T): T {
  if (isObject(o)) for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}

/** Builds the validated, frozen config from an optional JSON file, the environment and overrides (CLI flags). */
export function loadConfig(
  opts: { file?: string | undefined; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {},
): Readonly<CollectorConfig> {
  const env = opts.env ?? process.env;
  let raw: Record<string, unknown> = {};
  const file = opts.file ?? env.WUWATCH_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw makeError('FILE_UNREADABLE', [file], undefined, err);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (!isObject(parsed)) throw new Error('not an object');
      raw = parsed;
    } catch (err) {
      throw makeError('CONFIG_INVALID', [`${file} is not a JSON object`], undefined, err);
    }
  }
  for (const [name, set] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw = merge(raw, set(v));
  }
  raw = merge(raw, opts.overrides ?? {});
  const parsed = CollectorConfig.safeParse(raw);
  if (!parsed.success) throw makeError('CONFIG_INVALID', [z.prettifyError(parsed.error).replace(/\n/g, '; ')]);
  return deepFreeze(parsed.data);
}

/** A copy of the config safe to log or print: credentials, the database password and channel secrets replaced. */
export function redactConfig(config: Readonly<CollectorConfig>): Record<string, unknown> {
  // Every secret is a Secret (config/secret.ts) whose JSON form is redacted, so a JSON round trip is the redaction.
  return JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
}
