/** Reading scenario files: JSON → validated scenario, with operator-facing errors. */
import { readFile } from 'node:fs/promises';
import { makeError } from '@wuwatch/core';
import * as z from 'zod';
import { DEFAULT_SCENARIO } from './default.js';
import { Scenario } from './schema.js';

/** Validates a parsed scenario; `source` names it in errors (a path or "built-in"). Throws WUW_SCENARIO_INVALID. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = Scenario.safeParse(input);
  if (!parsed.success) {
    throw makeError('SCENARIO_INVALID', [source, z.prettifyError(parsed.error).replace(/\n/g, '; ')]);
  }
  return parsed.data;
}

/** Parses scenario JSON text. */
export function parseScenarioText(text: string, source = 'scenario'): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw makeError('SCENARIO_INVALID', [source, `not JSON (${(err as Error).message})`], undefined, err);
  }
  return parseScenario(json, source);
}

/** The built-in default scenario, validated. */
export function defaultScenario(): Scenario {
  return parseScenario(structuredClone(DEFAULT_SCENARIO), 'built-in default');
}

/** Reads a scenario file, or the built-in default when `path` is undefined. */
export async function loadScenario(path: string | undefined): Promise<Scenario> {
  if (path === undefined) return defaultScenario();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw makeError('FILE_UNREADABLE', [path], undefined, err);
  }
  return parseScenarioText(text, path);
}
