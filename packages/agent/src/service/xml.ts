/**
 * WinSW service definition. WinSW (Windows Service Wrapper) is the small .NET executable node-windows@1.0.0-beta.8
 * ships as bin/winsw/winsw.exe (with winsw.exe.config); wuwatch does not depend on node-windows: the installer copies
 * winsw.exe from a path given in its config, renamed to wuwatch-agent-service.exe, and writes this XML next to it.
 * Elements are chosen to mean the same to WinSW 2.x (presence of <delayedAutoStart>) and 3.x (its boolean value).
 * WinSW expands %NAME% in values: a path containing `%` that names an environment variable would change meaning.
 */
import { quoteWindowsArg } from '../platform/runner.js';
import type { ServiceAccount } from './types.js';

/** Service name Windows knows the agent by. */
export const SERVICE_ID = 'wuwatch-agent';
/** Display name. */
export const SERVICE_NAME = 'wuwatch agent';
/** Description shown in services.msc. */
export const SERVICE_DESCRIPTION =
  'Watches Windows Update on this server (log, events, policy, WSUS reachability) and reports to the wuwatch collector.';

/** Options of {@link buildServiceXml}. */
export interface ServiceXmlOptions {
  id?: string;
  name?: string;
  description?: string;
  /** Absolute path of node.exe. */
  nodeExe: string;
  /** Absolute path of the agent's main script. */
  agentMain: string;
  /** Absolute path of agent.json. */
  configPath: string;
  /** Extra node options placed before the script (e.g. `--use-system-ca` on a Node that has it). */
  nodeArgs?: readonly string[];
  workingDirectory?: string;
  /** Folder of WinSW's own logs (the agent's stdout/stderr). */
  logPath?: string;
  /** LocalSystem when absent. */
  account?: ServiceAccount;
}

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * The command line after node.exe: `[node options] <main> run --config <agent.json>`, quoted for CreateProcess.
 * One `<arguments>` string is used because WinSW 2.x passes it verbatim and 3.x does too.
 */
export function serviceArguments(opts: Pick<ServiceXmlOptions, 'agentMain' | 'configPath' | 'nodeArgs'>): string {
  return [...(opts.nodeArgs ?? []), opts.agentMain, 'run', '--config', opts.configPath].map(quoteWindowsArg).join(' ');
}

/**
 * WinSW XML: automatic delayed start, restart 10 s after each of the first three failures (the failure count resets
 * after an hour of running), 30 s for a graceful stop (WinSW sends Ctrl+C to node first, which the agent handles like
 * SIGINT), log files rolled at 10 MB keeping 8.
 */
export function buildServiceXml(opts: ServiceXmlOptions): string {
  const el = (name: string, value: string): string => `  <${name}>${escapeXml(value)}</${name}>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- Written by the wuwatch agent installer. Change agent.json, or re-run the installer, not this file. -->',
    '<service>',
    el('id', opts.id ?? SERVICE_ID),
    el('name', opts.name ?? SERVICE_NAME),
    el('description', opts.description ?? SERVICE_DESCRIPTION),
    el('executable', opts.nodeExe),
    el('arguments', serviceArguments(opts)),
  ];
  if (opts.workingDirectory !== undefined) lines.push(el('workingdirectory', opts.workingDirectory));
  lines.push(
    el('startmode', 'Automatic'),
    el('delayedAutoStart', 'true'),
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="10 sec"/>',
    el('resetfailure', '1 hour'),
    el('stoptimeout', '30 sec'),
    el('stopparentprocessfirst', 'true'),
  );
  if (opts.logPath !== undefined) lines.push(el('logpath', opts.logPath));
  lines.push(
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>8</keepFiles>',
    '  </log>',
    ...accountXml(opts.account ?? { kind: 'LocalSystem' }),
    '</service>',
    '',
  );
  return lines.join('\r\n');
}

function accountXml(account: ServiceAccount): string[] {
  const el = (name: string, value: string): string => `    <${name}>${escapeXml(value)}</${name}>`;
  const inner: string[] = [];
  switch (account.kind) {
    case 'LocalSystem':
      // Explicit for WinSW 3; WinSW 2 ignores an account without a domain, which also means LocalSystem.
      inner.push(el('user', 'LocalSystem'));
      break;
    case 'LocalService':
    case 'NetworkService':
      inner.push(el('domain', 'NT AUTHORITY'), el('user', account.kind));
      break;
    case 'user':
      if (account.domain !== undefined) inner.push(el('domain', account.domain));
      inner.push(el('user', account.user));
      if (account.password !== undefined) inner.push(el('password', account.password));
      if (account.allowServiceLogon === true) inner.push(el('allowservicelogon', 'true'));
      break;
  }
  return ['  <serviceaccount>', ...inner, '  </serviceaccount>'];
}
