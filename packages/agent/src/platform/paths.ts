/**
 * Where the agent keeps things. Windows paths are built with path.win32 whatever the host, so plans and tests on
 * Linux show the exact paths a Windows server would use.
 */
import { win32 } from 'node:path';
import { makeError } from '@wuwatch/core';

/** Environment variables the path helpers read (a subset of process.env). */
export type PathEnv = Readonly<Record<string, string | undefined>>;

/** Name of the agent's folder under ProgramData. */
export const STATE_DIR_NAME = 'wuwatch';
/** File name of the agent configuration inside the state directory. */
export const AGENT_CONFIG_FILE = 'agent.json';

/** `%ProgramData%` (falls back to `%ALLUSERSPROFILE%`, then `C:\ProgramData`). */
export function programDataDir(env: PathEnv = process.env): string {
  return (
    nonEmpty(env['ProgramData']) ??
    nonEmpty(env['PROGRAMDATA']) ??
    nonEmpty(env['ALLUSERSPROFILE']) ??
    'C:\\ProgramData'
  );
}

/** `%SystemRoot%\System32\<file>`: tools are run by absolute path so a planted reg.exe on PATH is never used. */
export function system32Path(file: string, env: PathEnv = process.env): string {
  const root = nonEmpty(env['SystemRoot']) ?? nonEmpty(env['SYSTEMROOT']) ?? nonEmpty(env['windir']) ?? 'C:\\Windows';
  return win32.join(root, 'System32', file);
}

/**
 * The native `System32\<file>` even from a 32-bit process on 64-bit Windows: there WOW64 redirects System32 to
 * SysWOW64, whose netsh.exe reads the 32-bit WinHTTP settings, not the ones Windows Update uses. `Sysnative` is the
 * alias a 32-bit process uses for the real System32; Windows sets PROCESSOR_ARCHITEW6432 only in such a process.
 */
export function nativeSystem32Path(file: string, env: PathEnv = process.env): string {
  if (nonEmpty(env['PROCESSOR_ARCHITEW6432']) === null) return system32Path(file, env);
  const root = nonEmpty(env['SystemRoot']) ?? nonEmpty(env['SYSTEMROOT']) ?? nonEmpty(env['windir']) ?? 'C:\\Windows';
  return win32.join(root, 'Sysnative', file);
}

/** Options of {@link resolveStateDir}. */
export interface StateDirOptions {
  /** Host platform (process.platform by default). */
  platform?: NodeJS.Platform;
  env?: PathEnv;
  /** An explicit state directory (config or --state-dir); wins on every platform. */
  override?: string | null;
}

/**
 * The state directory (offsets, spool, token): the override when given, `%ProgramData%\wuwatch` on Windows.
 * Elsewhere there is no convention to fall back on, so a directory must be passed in (WUW_CONFIG_INVALID otherwise).
 */
export function resolveStateDir(opts: StateDirOptions = {}): string {
  const override = nonEmpty(opts.override ?? undefined);
  if (override !== null) return override;
  const platform = opts.platform ?? process.platform;
  if (platform === 'win32') return win32.join(programDataDir(opts.env), STATE_DIR_NAME);
  throw makeError('CONFIG_INVALID', [
    `stateDir is required on ${platform} (only Windows defaults to %ProgramData%\\${STATE_DIR_NAME})`,
  ]);
}

function nonEmpty(value: string | undefined): string | null {
  const t = value?.trim() ?? '';
  return t === '' ? null : t;
}
