/**
 * WUA source: `Microsoft.Update.AutoUpdate` `.Results.LastSearchSuccessDate` / `.LastInstallationSuccessDate`
 * through PowerShell. The script builds its JSON by hand because Windows Server 2008 R2 ships PowerShell 2.0, which
 * has neither ConvertTo-Json nor [pscustomobject]; it uses no double quotes (`[string][char]34` instead) so Node's argument
 * quoting cannot collide with PowerShell's own command-line parsing.
 */
import { join } from 'node:path';
import { decodeWindowsText, makeError } from '@wuwatch/core';
import type { WuaData } from '@wuwatch/core';
import { readBytesIfExists } from '../platform/json-file.js';
import { system32Path } from '../platform/paths.js';
import type { PathEnv } from '../platform/paths.js';
import { displayCommand } from '../platform/runner.js';
import type { CommandRunner } from '../platform/runner.js';
import type { WuaSource } from './types.js';

/**
 * The fixed script. WUA dates are UTC but reach PowerShell as DateTime of unspecified kind: ToUniversalTime() would
 * shift them by the local offset, so the kind is set to UTC and the value formatted as is. VT_EMPTY arrives as $null.
 * `$q` is cast to [string] because PowerShell's `+` with a [char] on the left converts the right side to a char.
 */
export const WUA_SCRIPT = [
  "$ErrorActionPreference='Stop'",
  '$q=[string][char]34',
  '$r=(New-Object -ComObject Microsoft.Update.AutoUpdate).Results',
  "function d($v){if($v -is [datetime]){$q+[datetime]::SpecifyKind($v,'Utc').ToString('yyyy-MM-ddTHH:mm:ss.fffZ',[Globalization.CultureInfo]::InvariantCulture)+$q}else{'null'}}",
  "'{'+$q+'lastSearchSuccessDate'+$q+':'+(d $r.LastSearchSuccessDate)+','+$q+'lastInstallationSuccessDate'+$q+':'+(d $r.LastInstallationSuccessDate)+'}'",
].join(';');

/** powershell.exe arguments running {@link WUA_SCRIPT}. */
export const WUA_POWERSHELL_ARGS: readonly string[] = Object.freeze([
  '-NoLogo',
  '-NoProfile',
  '-NonInteractive',
  '-Command',
  WUA_SCRIPT,
]);

/** File the stand-in reads. */
export const WUA_FILE = 'wua.json';

// Dates before this are placeholders (DateTime.MinValue, OLE date 0 = 1899-12-30), not a real scan.
const EARLIEST_REAL_DATE = Date.UTC(1980, 0, 1);
const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;

/**
 * Reads one date as PowerShell or a person may have written it: null/empty (VT_EMPTY), `/Date(ms)/` or
 * `/Date(ms+zzzz)/` (ConvertTo-Json on 5.1; ms are UTC), `{"value": …}` (5.1 DateTime with ETS properties),
 * ISO with or without zone (no zone = UTC, as WUA reports). Returns a UTC ISO string or null; throws on junk.
 */
export function parseWuaDate(value: unknown, field = 'date'): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !Array.isArray(value) && 'value' in value) {
    return parseWuaDate(value.value, field);
  }
  if (typeof value !== 'string') throw invalid(`${field} is ${JSON.stringify(value)}, not a date`);
  const text = value.trim();
  if (text === '') return null;
  const ms = MS_DATE.exec(text);
  let t: number;
  if (ms) {
    t = Number(ms[1]);
  } else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i.test(text)) {
    const iso = text.replace(' ', 'T');
    t = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : iso + 'Z');
  } else {
    throw invalid(`${field} "${text.slice(0, 60)}" is not a date`);
  }
  if (!Number.isFinite(t)) throw invalid(`${field} "${text.slice(0, 60)}" is not a valid date`);
  return t < EARLIEST_REAL_DATE ? null : new Date(t).toISOString();
}

/**
 * Parses the script's output or a wua.json: the whole text as JSON, else the last line holding a JSON object
 * (PowerShell may print warnings first), else the span from the first `{` to the last `}`. Property names in any case.
 */
export function parseWuaOutput(text: string): WuaData {
  const json = firstJson(text.replace(/^\uFEFF/, '').trim());
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(`no JSON object in "${text.trim().slice(0, 80)}"`);
  }
  const get = (name: string): unknown => {
    const key = Object.keys(json).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? null : (json as Record<string, unknown>)[key];
  };
  return {
    lastSearchSuccessDate: parseWuaDate(get('lastSearchSuccessDate'), 'lastSearchSuccessDate'),
    lastInstallationSuccessDate: parseWuaDate(get('lastInstallationSuccessDate'), 'lastInstallationSuccessDate'),
  };
}

function firstJson(text: string): unknown {
  const lastLine = text
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  const span = text.includes('{') ? text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1) : '';
  for (const candidate of [text, lastLine ?? '', span]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** Error text of a failed PowerShell run, without the CLIXML wrapping PowerShell uses when stderr is redirected. */
export function cleanPowerShellError(text: string): string {
  return text
    .replace(/^#< CLIXML\s*/, '')
    .replace(/_x000D__x000A_/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Options of {@link windowsWuaSource}. */
export interface WindowsWuaSourceOptions {
  env?: PathEnv;
  timeoutMs?: number;
}

/** Reads WUA results through Windows PowerShell (by absolute path: PATH may point at pwsh or be unset). */
export function windowsWuaSource(runner: CommandRunner, opts: WindowsWuaSourceOptions = {}): WuaSource {
  const file = system32Path('WindowsPowerShell\\v1.0\\powershell.exe', opts.env);
  return {
    async read() {
      const r = await runner.run(file, WUA_POWERSHELL_ARGS, { timeoutMs: opts.timeoutMs ?? 120_000 });
      if (r.code !== 0) {
        const msg = cleanPowerShellError(decodeWindowsText(r.stderr)).slice(0, 300) || 'no message';
        throw makeError('COMMAND_FAILED', [
          displayCommand(file, ['-Command', 'WUA results']),
          `exit ${r.code}: ${msg}`,
        ]);
      }
      return parseWuaOutput(decodeWindowsText(r.stdout));
    },
  };
}

/** Stand-in: `DIR/wua.json` in the script's format (or ConvertTo-Json's); no file means no WUA data (null). */
export function fileWuaSource(dir: string): WuaSource {
  const file = join(dir, WUA_FILE);
  return {
    async read() {
      const bytes = await readBytesIfExists(file);
      return bytes === null ? null : parseWuaOutput(decodeWindowsText(bytes));
    },
  };
}

function invalid(reason: string): Error {
  return makeError('SOURCE_OUTPUT_INVALID', ['the WUA results script', reason]);
}
