/**
 * Service plans: pure lists of steps for install, upgrade, uninstall, start, stop and status, which
 * {@link executePlan} runs and {@link formatPlan} prints for `--dry-run`.
 * Upgrade in place (the service already exists) stops the service, replaces WinSW and its XML and starts it again;
 * it never touches the state directory (offsets, spool, token) and rewrites agent.json only when given new values.
 * Start mode, account and failure actions are registered by `install` only: to change those, uninstall and install
 * (the state directory survives both).
 */
import { posix, win32 } from 'node:path';
import { makeError } from '@wuwatch/core';
import { AGENT_CONFIG_FILE, system32Path } from '../platform/paths.js';
import type { PathEnv } from '../platform/paths.js';
import type { Plan, PlanStep, ServiceAccount } from './types.js';
import { SERVICE_ID, buildServiceXml } from './xml.js';

/** Base name WinSW is copied to; WinSW reads the XML with the same base name next to itself. */
export const SERVICE_EXE_BASENAME = 'wuwatch-agent-service';
// Well-known SIDs: account names are localized ("Administratoren"), SIDs are not.
const SYSTEM_SID = '*S-1-5-18';
const ADMINISTRATORS_SID = '*S-1-5-32-544';
const REDACTED = '<redacted>';

/** Where everything lives. */
export interface ServiceLayout {
  installDir: string;
  stateDir: string;
  serviceExe: string;
  serviceExeConfig: string;
  serviceXml: string;
  configPath: string;
  logDir: string;
}

/** Options shared by every plan. `pathStyle` is `win32` except in tests that run plans against a temp dir. */
export interface LayoutOptions {
  installDir: string;
  stateDir: string;
  pathStyle?: 'win32' | 'posix';
}

/** Options of {@link planInstall}. */
export interface InstallOptions extends LayoutOptions {
  /** winsw.exe to copy, e.g. node-windows@1.0.0-beta.8's bin/winsw/winsw.exe, from the installer config. */
  winswExe: string;
  /** WinSW's .NET runtime config (lets a .NET 2 build run on .NET 4); default `<winswExe>.config`, copied if present. */
  winswConfig?: string;
  nodeExe: string;
  agentMain: string;
  /** Both required for a fresh install; on upgrade give both to rewrite agent.json or neither to keep it. */
  collectorUrl?: string;
  enrollSecret?: string;
  /** The service is already registered: plan an upgrade in place. */
  installed?: boolean;
  account?: ServiceAccount;
  nodeArgs?: readonly string[];
  /** Also set failure actions with sc.exe (WinSW sets them from the XML at install; this re-applies them). */
  scFailureActions?: boolean;
  /** Environment for %SystemRoot% (icacls.exe, sc.exe). */
  env?: PathEnv;
}

/** Paths of the service files and state for the given directories. */
export function serviceLayout(opts: LayoutOptions): ServiceLayout {
  const p = opts.pathStyle === 'posix' ? posix : win32;
  return {
    installDir: opts.installDir,
    stateDir: opts.stateDir,
    serviceExe: p.join(opts.installDir, `${SERVICE_EXE_BASENAME}.exe`),
    serviceExeConfig: p.join(opts.installDir, `${SERVICE_EXE_BASENAME}.exe.config`),
    serviceXml: p.join(opts.installDir, `${SERVICE_EXE_BASENAME}.xml`),
    configPath: p.join(opts.stateDir, AGENT_CONFIG_FILE),
    logDir: p.join(opts.stateDir, 'logs'),
  };
}

/** The agent.json the service starts with. */
export function agentConfigJson(collectorUrl: string, enrollSecret: string, stateDir: string): string {
  return JSON.stringify({ collectorUrl, enrollSecret, stateDir }, null, 2) + '\n';
}

/** Install (fresh) or upgrade in place (`installed: true`). Throws WUW_CONFIG_INVALID for missing or bad values. */
export function planInstall(opts: InstallOptions): Plan {
  const layout = serviceLayout(opts);
  const config = configStep(opts, layout);
  if (!opts.installed && config === null) {
    throw makeError('CONFIG_INVALID', ['collectorUrl and enrollSecret are required to install the service']);
  }
  const binaries: PlanStep[] = [
    {
      kind: 'copy',
      description: 'copy WinSW as the service executable',
      from: opts.winswExe,
      path: layout.serviceExe,
    },
    {
      kind: 'copy',
      description: "copy WinSW's .NET runtime config (skipped when absent)",
      from: opts.winswConfig ?? `${opts.winswExe}.config`,
      path: layout.serviceExeConfig,
      optional: true,
    },
    {
      kind: 'write',
      description: 'write the WinSW service definition',
      path: layout.serviceXml,
      content: buildServiceXml({
        nodeExe: opts.nodeExe,
        agentMain: opts.agentMain,
        configPath: layout.configPath,
        workingDirectory: layout.installDir,
        logPath: layout.logDir,
        ...(opts.nodeArgs === undefined ? {} : { nodeArgs: opts.nodeArgs }),
        ...(opts.account === undefined ? {} : { account: opts.account }),
      }),
    },
  ];
  const failure: PlanStep[] = opts.scFailureActions
    ? [
        {
          kind: 'exec',
          description: 'set restart-on-failure actions with sc.exe (10 s, three times, reset after an hour)',
          // sc.exe wants "reset=" and its value as separate arguments.
          argv: [
            system32Path('sc.exe', opts.env),
            'failure',
            SERVICE_ID,
            'reset=',
            '3600',
            'actions=',
            'restart/10000/restart/10000/restart/10000',
          ],
        },
      ]
    : [];
  const start: PlanStep = { kind: 'exec', description: 'start the service', argv: [layout.serviceExe, 'start'] };

  if (opts.installed) {
    return [stopStep(layout), ...binaries, ...(config === null ? [] : [config]), ...failure, start];
  }
  return [
    { kind: 'mkdir', description: 'create the install directory', path: layout.installDir },
    { kind: 'mkdir', description: 'create the state directory (offsets, spool, token)', path: layout.stateDir },
    { kind: 'mkdir', description: 'create the service log directory', path: layout.logDir },
    aclStep(opts, layout),
    config!,
    ...binaries,
    { kind: 'exec', description: 'register the Windows service', argv: [layout.serviceExe, 'install'] },
    ...failure,
    start,
  ];
}

/** Stop and unregister the service. Files and the state directory stay (a reinstall picks the state up again). */
export function planUninstall(opts: LayoutOptions): Plan {
  const layout = serviceLayout(opts);
  return [
    stopStep(layout),
    { kind: 'exec', description: 'unregister the Windows service', argv: [layout.serviceExe, 'uninstall'] },
  ];
}

/** Start the service. */
export function planStart(opts: LayoutOptions): Plan {
  return [{ kind: 'exec', description: 'start the service', argv: [serviceLayout(opts).serviceExe, 'start'] }];
}

/** Stop the service (WinSW sends Ctrl+C and waits up to the XML's stoptimeout). */
export function planStop(opts: LayoutOptions): Plan {
  return [{ kind: 'exec', description: 'stop the service', argv: [serviceLayout(opts).serviceExe, 'stop'] }];
}

/** Ask WinSW for the service state; read the answer with {@link parseServiceStatus}. */
export function planStatus(opts: LayoutOptions): Plan {
  return [{ kind: 'exec', description: 'query the service state', argv: [serviceLayout(opts).serviceExe, 'status'] }];
}

/** State of the service as WinSW prints it. */
export type ServiceState = 'started' | 'stopped' | 'not_installed' | 'unknown';

/** Reads `<service>.exe status`: WinSW 2 prints Started/Stopped/NonExistent, WinSW 3 "Active (running)" etc. */
export function parseServiceStatus(stdout: string): ServiceState {
  const t = stdout.trim().toLowerCase();
  if (t.includes('nonexistent') || t.includes('not installed')) return 'not_installed';
  if (/\b(started|running)\b/.test(t)) return 'started';
  if (/\b(stopped|inactive)\b/.test(t)) return 'stopped';
  return 'unknown';
}

function stopStep(layout: ServiceLayout): PlanStep {
  return {
    kind: 'exec',
    description: 'stop the service (may already be stopped)',
    argv: [layout.serviceExe, 'stop'],
    ignoreFailure: true,
  };
}

function configStep(opts: InstallOptions, layout: ServiceLayout): PlanStep | null {
  const url = opts.collectorUrl?.trim() ?? '';
  const secret = opts.enrollSecret?.trim() ?? '';
  if (url === '' && secret === '') return null;
  if (url === '' || secret === '') {
    throw makeError('CONFIG_INVALID', ['give both collectorUrl and enrollSecret, or neither to keep agent.json']);
  }
  if (!/^(wss?|https?):\/\/[^\s/]+/i.test(url)) {
    throw makeError('CONFIG_INVALID', [`collectorUrl "${url}" must be a ws://, wss://, http:// or https:// URL`]);
  }
  return {
    kind: 'write',
    description: 'write the agent configuration (collector URL, enrollment secret)',
    path: layout.configPath,
    content: agentConfigJson(url, secret, layout.stateDir),
    display: agentConfigJson(url, REDACTED, layout.stateDir),
  };
}

// Before agent.json is written: the enrollment secret must never sit in a folder Users can read.
function aclStep(opts: InstallOptions, layout: ServiceLayout): PlanStep {
  const grants = [`${SYSTEM_SID}:(OI)(CI)F`, `${ADMINISTRATORS_SID}:(OI)(CI)F`];
  const account = opts.account;
  if (account?.kind === 'user') {
    const name = account.domain === undefined ? account.user : `${account.domain}\\${account.user}`;
    grants.push(`${name}:(OI)(CI)M`);
  } else if (account?.kind === 'LocalService' || account?.kind === 'NetworkService') {
    grants.push(`${account.kind === 'LocalService' ? '*S-1-5-19' : '*S-1-5-20'}:(OI)(CI)M`);
  }
  return {
    kind: 'exec',
    description: 'restrict the state directory to SYSTEM and Administrators (no inherited access for Users)',
    argv: [system32Path('icacls.exe', opts.env), layout.stateDir, '/inheritance:r', '/grant:r', ...grants],
  };
}
