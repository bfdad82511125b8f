/**
 * Policy source. On Windows it runs `reg.exe query … /s /reg:64` and parses the text with the core parser.
 * Why reg.exe rather than a registry package: a native addon (native-reg) is one more binary to ship, sign and
 * trust inside a LocalSystem service; the core reg-query parser is already tested on captured output; and the
 * pure-JS alternative (winreg) shells out to reg.exe anyway, with less control over arguments and errors.
 * `/reg:64` reads the 64-bit view even from a 32-bit node.exe, where Windows Update reads its policy.
 */
import { join } from 'node:path';
import {
  decodeWindowsText,
  makeError,
  parseMdmPolicy,
  parsePolicy,
  toMdmUpdatePolicy,
  toUpdatePolicy,
} from '@wuwatch/core';
import type { MdmUpdatePolicy, UpdatePolicy } from '@wuwatch/core';
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
/** The MDM (Intune) PolicyManager keys: the Update CSP values and whether MDM wins over Group Policy. */
export const MDM_QUERY_KEYS: readonly string[] = Object.freeze([
  'HKLM\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\Update',
  'HKLM\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\ControlPolicyConflict',
]);
/** File the stand-in reads for the MDM store: a `.reg` export or `reg query` capture of {@link MDM_QUERY_KEYS}. */
export const MDM_POLICY_FILE = 'mdm.reg';
/**
 * A second file for ControlPolicyConflict (MDMWinsOverGP): `reg export` writes one key per file, so the older-server
 * export script writes the Update key to {@link MDM_POLICY_FILE} and this key here.
 */
export const MDM_CONFLICT_FILE = 'mdm-conflict.reg';

/** Arguments of reg.exe for one key: recursively, 64-bit view. */
export function regQueryArgs(key: string): readonly string[] {
  return Object.freeze(['query', key, '/s', '/reg:64']);
}

/** A policy with no keys: what a machine without any Windows Update Group Policy has. */
export function emptyPolicy(): UpdatePolicy {
  return toUpdatePolicy({ keys: [] });
}

/** An MDM store with no keys: what a machine no MDM server manages has. */
export function emptyMdmPolicy(): MdmUpdatePolicy {
  return toMdmUpdatePolicy({ keys: [] });
}

/**
 * The key listing of a reg.exe run, or null when the key does not exist. Exit 0 → stdout. Exit 1 with no key
 * listing → the key does not exist (reg.exe's only exit-1 cause for this fixed command run as SYSTEM; the "unable to
 * find" text is localized, so it is not required), unless stderr says access is denied. Anything else throws
 * WUW_COMMAND_FAILED.
 */
export function regQueryListing(result: CommandResult, command = 'reg.exe query'): Buffer | string | null {
  const stderr = decodeWindowsText(result.stderr).trim();
  if (result.code === 0) return result.stdout;
  const stdout = decodeWindowsText(result.stdout).trim();
  // Wine's reg.exe says "key not found" on stdout rather than stderr; a message with no key listing is the same case.
  const noListing = stdout === '' || !/^HKEY_/im.test(stdout);
  if (result.code === 1 && noListing && !/access is denied/i.test(stderr + stdout)) return null;
  throw makeError('COMMAND_FAILED', [command, `exit code ${result.code}: ${stderr.slice(0, 300) || 'no message'}`]);
}

/** Turns a reg.exe run into a policy: a missing key is an empty policy (see {@link regQueryListing}). */
export function policyFromRegQuery(result: CommandResult, command = 'reg.exe query'): UpdatePolicy {
  const listing = regQueryListing(result, command);
  return listing === null ? emptyPolicy() : parsePolicy(listing);
}

/** Turns the reg.exe runs of {@link MDM_QUERY_KEYS} into the MDM store; missing keys are simply absent from it. */
export function mdmFromRegQueries(runs: readonly { result: CommandResult; command: string }[]): MdmUpdatePolicy {
  const texts = runs.flatMap(({ result, command }) => {
    const listing = regQueryListing(result, command);
    return listing === null ? [] : [decodeWindowsText(listing)];
  });
  return texts.length === 0 ? emptyMdmPolicy() : parseMdmPolicy(texts.join('\r\n'));
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
    async readMdm() {
      const runs = [];
      for (const key of MDM_QUERY_KEYS) {
        const args = regQueryArgs(key);
        const result = await runner.run(file, args, { timeoutMs: opts.timeoutMs ?? 30_000 });
        runs.push({ result, command: displayCommand(file, args) });
      }
      return mdmFromRegQueries(runs);
    },
  };
}

/**
 * Stand-in: `DIR/policy.reg`, `DIR/mdm.reg` and `DIR/mdm-conflict.reg` (either format the core parsers read); no
 * file means no policy, like a missing key.
 */
export function filePolicySource(dir: string): PolicySource {
  const file = join(dir, POLICY_FILE);
  const mdmFile = join(dir, MDM_POLICY_FILE);
  return {
    async read() {
      const bytes = await readBytesIfExists(file);
      return bytes === null ? emptyPolicy() : parsePolicy(bytes);
    },
    async readMdm() {
      const bytes = await readBytesIfExists(mdmFile);
      const mdm = bytes === null ? emptyMdmPolicy() : parseMdmPolicy(bytes);
      const conflict = await readBytesIfExists(join(dir, MDM_CONFLICT_FILE));
      // mdm.reg may hold both keys (a `reg query` capture): then what it says about the conflict stands.
      if (conflict === null || mdm.mdmWinsOverGp !== null) return mdm;
      return { ...mdm, mdmWinsOverGp: parseMdmPolicy(conflict).mdmWinsOverGp };
    },
  };
}
