/**
 * Proxy source: the WinHTTP system proxy, which Windows Update detection uses (not the user's IE proxy).
 * Windows reads it with `netsh winhttp show proxy`; the stand-in reads a captured copy from `DIR/proxy.txt`.
 */
import { join } from 'node:path';
import { decodeWindowsText, makeError } from '@wuwatch/core';
import { parseBypassList } from '../probe/index.js';
import type { ProxyConfig } from '../probe/index.js';
import { readBytesIfExists } from '../platform/json-file.js';
import { nativeSystem32Path } from '../platform/paths.js';
import type { PathEnv } from '../platform/paths.js';
import { displayCommand } from '../platform/runner.js';
import type { CommandRunner } from '../platform/runner.js';
import type { ProxySource } from './types.js';

/** netsh arguments. */
export const NETSH_PROXY_ARGS: readonly string[] = Object.freeze(['winhttp', 'show', 'proxy']);
/** File the stand-in reads (optional; absent = direct access). */
export const PROXY_FILE = 'proxy.txt';

// An indented "Label :  value" line; the label holds no colon, the value may ("http=proxy:80;https=proxy:8443").
const SETTING_LINE = /^\s+([^:]+?)\s*:\s+(\S.*?)\s*$/;

/**
 * Parses `netsh winhttp show proxy`. "Direct access (no proxy server)." has no setting lines → null.
 * Otherwise "Proxy Server(s) :" gives the proxy and "Bypass List :" the bypass entries ("(none)" = empty).
 * Labels are localized, so unknown labels are taken by position: the first setting is the proxy, the second the list.
 */
export function parseNetshProxy(text: string): ProxyConfig | null {
  const settings = text
    .split(/\r?\n/)
    .map((line) => SETTING_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ label: m[1]!.toLowerCase(), value: m[2]! }));
  if (settings.length === 0) return null;
  const proxy = settings.find((s) => s.label.includes('proxy')) ?? settings[0]!;
  const bypass = settings.find((s) => s.label.includes('bypass')) ?? settings.find((s) => s !== proxy);
  const bypassValue = bypass === undefined || /^\(.*\)$/.test(bypass.value) ? '' : bypass.value;
  return { url: proxy.value, bypass: parseBypassList(bypassValue) };
}

/** Options of {@link windowsProxySource}. */
export interface WindowsProxySourceOptions {
  env?: PathEnv;
  timeoutMs?: number;
}

/** Reads the WinHTTP proxy with netsh.exe. */
export function windowsProxySource(runner: CommandRunner, opts: WindowsProxySourceOptions = {}): ProxySource {
  const file = nativeSystem32Path('netsh.exe', opts.env);
  return {
    async read() {
      const r = await runner.run(file, NETSH_PROXY_ARGS, { timeoutMs: opts.timeoutMs ?? 30_000 });
      if (r.code !== 0) {
        const msg = decodeWindowsText(r.stderr).trim() || decodeWindowsText(r.stdout).trim() || 'no message';
        throw makeError('COMMAND_FAILED', [
          displayCommand(file, NETSH_PROXY_ARGS),
          `exit ${r.code}: ${msg.slice(0, 300)}`,
        ]);
      }
      return parseNetshProxy(decodeWindowsText(r.stdout));
    },
  };
}

/** Stand-in: `DIR/proxy.txt` holding netsh output; no file means direct access. */
export function fileProxySource(dir: string): ProxySource {
  const file = join(dir, PROXY_FILE);
  return {
    async read() {
      const bytes = await readBytesIfExists(file);
      return bytes === null ? null : parseNetshProxy(decodeWindowsText(bytes));
    },
  };
}
