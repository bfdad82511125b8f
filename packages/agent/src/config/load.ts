/** Loads agent.json, applies WUWATCH_* environment and flag overrides, validates and freezes. */
import { readFileSync, statSync } from 'node:fs';
import * as z from 'zod';
import { makeError } from '@wuwatch/core';
import { AgentConfig } from './schema.js';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') for (const v of Object.values(o)) deepFreeze(v);
  return Object.freeze(o);
}

/** Builds the frozen agent config from an optional JSON file, the environment and overrides. */
export function loadAgentConfig(opts: {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): Readonly<AgentConfig> {
  const env = opts.env ?? process.env;
  let raw: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw makeError('FILE_UNREADABLE', [opts.file], undefined, err);
    }
    try {
      raw = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
    } catch (err) {
      throw makeError('CONFIG_INVALID', [`${opts.file} is not valid JSON`], undefined, err);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  if (env.WUWATCH_COLLECTOR_URL) fromEnv.collectorUrl = env.WUWATCH_COLLECTOR_URL;
  if (env.WUWATCH_ENROLL_SECRET) fromEnv.enrollSecret = env.WUWATCH_ENROLL_SECRET;
  if (env.WUWATCH_STATE_DIR) fromEnv.stateDir = env.WUWATCH_STATE_DIR;
  if (env.WUWATCH_LOG_LEVEL) fromEnv.logLevel = env.WUWATCH_LOG_LEVEL;
  const overrides = Object.fromEntries(Object.entries(opts.overrides ?? {}).filter(([, v]) => v !== undefined));
  const merged = { ...raw, ...fromEnv, ...overrides };
  // The collector URLs are one setting under two names: the environment or a flag replaces the file's, either name.
  const fromAbove = (key: string) => key in overrides || key in fromEnv;
  if (fromAbove('collectorUrl') && !('collectorUrls' in overrides)) delete merged.collectorUrls;
  else if ('collectorUrls' in overrides && !('collectorUrl' in overrides)) delete merged.collectorUrl;
  const parsed = AgentConfig.safeParse(merged);
  if (!parsed.success) throw makeError('CONFIG_INVALID', [z.prettifyError(parsed.error).replace(/\n/g, '; ')]);
  if (parsed.data.simulateDir !== undefined) assertSimulateDir(parsed.data.simulateDir);
  return deepFreeze(parsed.data);
}

/** A --simulate (files mode) folder must exist: a typo must not silently become a new, empty machine. */
export function assertSimulateDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw makeError('CONFIG_INVALID', [
      `the folder "${dir}" does not exist: files mode reads a folder that wuwatch-export.cmd (or a simulator) wrote`,
    ]);
  }
}
