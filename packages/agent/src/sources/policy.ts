/**
 * Policy source. On Windows it runs `reg.exe query … /s /reg:64` and parses the text with the core parser.
 * Why reg.exe rather than a registry package: a native addon (native-reg) is one more binary to ship, sign and
 * trust inside a LocalSystem service; the core reg-query parser is already tested on captured output; and the
 * pure-JS alternative (winreg) shells out to reg.exe anyway, with less control over arguments and errors.
 * `/reg:64` reads the 64-bit view even from a 32-bit node.exe, where Windows Update reads its policy.
 */
import { join } from 'node:path';
import { decodeWindowsText, makeError, parsePolicy, toUpdatePolicy } from '@wuwatch/core';
import type { UpdatePolicy } from '@wuwatch/core';
import { readBytesIfExists } from '../platform/json-file.js';
import { system32Path } from '../platform/paths.js';
import type { PathEnv } from '../platform/paths.js';
import { displayCommand } from '../platform/runner.js';
import type { CommandResult, CommandRunner } from '../platform/runner.js';
import type { PolicySource } from './types.js';

/** The key `reg query` reads, as reg.exe accepts it. */
export const POLICY_QUERY_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
/** Arguments of reg.exe: the WindowsUpdate key and its subkeys (AU), 64-bit view. */
export const REG_QUERY_ARGS: readonly string[] = Object.freeze(['query', POLICY_QUERY_KEY, '/s', '/reg:64']);
/** File the stand-in reads: a `.reg` export or a `reg query` capture of the key. */
export const POLICY_FILE = 'policy.reg';

/** A policy with no keys: what a machine without any Windows Update Group Policy has. */
export function emptyPolicy(): UpdatePolicy {
  return toUpdatePolicy({ keys: [] });
}

/**
 * Turns a reg.exe run into a policy. Exit 0 → parse stdout. Exit 1 with no key listing → the key does not exist
 * (reg.exe's only exit-1 cause for this fixed command run as SYSTEM; the "unable to find" text is localized, so it
 * is not required), unless stderr says access is denied. Anything else throws WUW_COMMAND_FAILED.
 */
export function policyFromRegQuery(result: CommandResult, command = 'reg.exe query'): UpdatePolicy {
  const stderr = decodeWindowsText(result.stderr).trim();
  if (result.code === 0) return parsePolicy(result.stdout);
  const stdout = decodeWindowsText(result.stdout).trim();
  // Wine's reg.exe says "key not found" on stdout rather than stderr; a message with no key listing is the same case.
  const noListing = stdout === '' || !/^HKEY_/im.test(stdout);
  if (result.code === 1 && noListing && !/access is denied/i.test(stderr + stdout)) {
    return emptyPolicy();
  }
  throw makeError('COMMAND_FAILED', [command, `exit code ${result.code}: ${stderr.slice(0, 300) || 'no message'}`]);
}

/** Options of {@link windowsPolicySource}. */
export interface WindowsPolicySourceOptions {
  env?: PathEnv;
  timeoutMs?: number;
}

/** Reads the policy with reg.exe through the runner. */
export function windowsPolicySource(runner: CommandRunner, opts: WindowsPolicySourceOptions = {}): PolicySource {
  const file = system32Path('reg.exe', opts.env);
  return {
    async read() {
      const result = await runner.run(file, REG_QUERY_ARGS, { timeoutMs: opts.timeoutMs ?? 30_000 });
      return policyFromRegQuery(result, displayCommand(file, REG_QUERY_ARGS));
    },
  };
}

/** Stand-in: `DIR/policy.reg` (either format parsePolicy reads); no file means no policy, like a missing key. */
export function filePolicySource(dir: string): PolicySource {
  const file = join(dir, POLICY_FILE);
  return {
    async read() {
      const bytes = await readBytesIfExists(file);
      return bytes === null ? emptyPolicy() : parsePolicy(bytes);
    },
  };
}
