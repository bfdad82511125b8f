/**
 * Service plans: pure lists of steps for install, upgrade, uninstall, start, stop and status (the non-MSI path), which
 * {@link executePlan} runs and {@link formatPlan} prints for `--dry-run`. The service is nssm running the agent's
 * exe with the same settings the MSI writes ({@link nssmSettings}).
 * Upgrade in place stops the service, waits for the wrapper to exit, replaces the exe and nssm.exe, re-applies the
 * settings and starts it again; it never touches the state directory (offsets, spool, token) and rewrites agent.json
 * only when given new values.
 */
import { posix, win32 } from 'node:path';
import { system32Path } from '../platform/paths.js';
import type { PathEnv } from '../platform/paths.js';
import { planConfigure } from './configure.js';
import {
  APP_EXIT_DEFAULT,
  FAILURE_RESET_SECONDS,
  FAILURE_RESTART_DELAYS_MS,
  SERVICE_DESCRIPTION,
  SERVICE_ID,
  SERVICE_NAME,
  nssmSettings,
} from './nssm.js';
import type { Plan, PlanStep } from './types.js';

/** File names in the install directory (the MSI's layout). */
export const AGENT_EXE = 'wuwatch-agent.exe';
/** nssm's file name in the install directory. */
export const NSSM_EXE = 'nssm.exe';

/** Where everything lives. */
export interface ServiceLayout {
  installDir: string;
  stateDir: string;
  exe: string;
  nssm: string;
  configPath: string;
  logDir: string;
}

/** Options shared by every plan. `pathStyle` is `win32` except in tests that run plans against a temp dir. */
export interface LayoutOptions {
  installDir: string;
  stateDir: string;
  pathStyle?: 'win32' | 'posix';
  /** Environment for %SystemRoot% (net.exe, icacls.exe, sc.exe). */
  env?: PathEnv;
}

/** Options of {@link planInstall}. */
export interface InstallOptions extends LayoutOptions {
  /** The agent's exe to install (the running SEA itself by default). */
  sourceExe: string;
  /** nssm.exe to install (beside the source exe by default). */
  sourceNssm: string;
  /** Both required for a fresh install; on upgrade give both to rewrite agent.json or neither to keep it. */
  collectorUrl?: string;
  enrollSecret?: string;
  caFile?: string;
  /** The service is already registered: plan an upgrade in place. */
  installed?: boolean;
  /** agent.json already exists (an earlier install, or the MSI's). */
  configExists?: boolean;
}

/** Paths of the service files and state for the given directories. */
export function serviceLayout(opts: LayoutOptions): ServiceLayout {
  const p = opts.pathStyle === 'posix' ? posix : win32;
  return {
    installDir: opts.installDir,
    stateDir: opts.stateDir,
    exe: p.join(opts.installDir, AGENT_EXE),
    nssm: p.join(opts.installDir, NSSM_EXE),
    configPath: p.join(opts.stateDir, 'agent.json'),
    logDir: p.join(opts.stateDir, 'logs'),
  };
}

/** Install (fresh) or upgrade in place (`installed: true`). Throws WUW_CONFIG_INVALID for missing or bad values. */
export function planInstall(opts: InstallOptions): Plan {
  const layout = serviceLayout(opts);
  const configure = planConfigure({
    stateDir: opts.stateDir,
    configExists: opts.configExists === true || opts.installed === true,
    collectorUrl: opts.collectorUrl,
    enrollSecret: opts.enrollSecret,
    caFile: opts.caFile,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.pathStyle ? { pathStyle: opts.pathStyle } : {}),
  });
  const binaries: PlanStep[] = [
    {
      kind: 'mkdir',
      description: 'create the install directory (admin-only under Program Files)',
      path: layout.installDir,
    },
    { kind: 'copy', description: 'install the agent executable', from: opts.sourceExe, path: layout.exe },
    { kind: 'copy', description: 'install nssm, the service wrapper', from: opts.sourceNssm, path: layout.nssm },
  ];
  const settings = settingsSteps(layout, opts.env);
  const start = startStep(opts.env);
  if (opts.installed) {
    return [...stopSteps(layout, opts.env), ...configure, ...binaries, ...settings, start];
  }
  return [
    ...configure,
    ...binaries,
    nssm(layout, 'register the Windows service (nssm running the agent)', 'install', SERVICE_ID, layout.exe),
    ...settings,
    start,
  ];
}

/** Stop and unregister the service. Files and the state directory stay (a reinstall picks the state up again). */
export function planUninstall(opts: LayoutOptions): Plan {
  const layout = serviceLayout(opts);
  return [
    ...stopSteps(layout, opts.env),
    {
      kind: 'exec',
      description: 'unregister the Windows service (its nssm Parameters key goes with it)',
      // Not `nssm remove`: without a console nssm reports success in a message box, which waits for a click.
      argv: [system32Path('sc.exe', opts.env), 'delete', SERVICE_ID],
    },
  ];
}

/** Start the service. */
export function planStart(opts: LayoutOptions): Plan {
  return [startStep(opts.env)];
}

/** Stop the service (nssm sends Ctrl+C and waits up to 30 s for the agent's drain). */
export function planStop(opts: LayoutOptions): Plan {
  return [netStep('stop the service', 'stop', opts.env)];
}

/** Ask the service manager for the state (sc.exe; `nssm status` hangs when run without a console under Wine). */
export function planStatus(opts: LayoutOptions): Plan {
  return [
    {
      kind: 'exec',
      description: 'query the service state',
      argv: [system32Path('sc.exe', opts.env), 'query', SERVICE_ID],
    },
  ];
}

/** State of the service. */
export type ServiceState = 'started' | 'stopped' | 'not_installed' | 'unknown';

/** Reads `nssm status` (SERVICE_RUNNING, SERVICE_STOPPED, …) or `sc query` (STATE : 4 RUNNING). */
export function parseServiceStatus(stdout: string): ServiceState {
  const t = stdout.trim().toLowerCase();
  if (t.includes('does not exist') || t.includes("can't open service") || t.includes('1060')) return 'not_installed';
  // nssm says SERVICE_RUNNING, sc "4  RUNNING": no word boundary before the state in the first.
  if (/(^|[\s_])running\b/.test(t)) return 'started';
  if (/(^|[\s_])stopped\b/.test(t)) return 'stopped';
  return 'unknown';
}

function nssm(layout: ServiceLayout, description: string, ...args: string[]): PlanStep & { kind: 'exec' } {
  return { kind: 'exec', description, argv: [layout.nssm, ...args] };
}

// net.exe waits for the service to reach its state; nssm 2.23's own start gives up while it is START_PENDING.
function netStep(description: string, verb: 'start' | 'stop', env: PathEnv | undefined): PlanStep & { kind: 'exec' } {
  return { kind: 'exec', description, argv: [system32Path('net.exe', env), verb, SERVICE_ID] };
}

function startStep(env: PathEnv | undefined): PlanStep {
  return netStep('start the service', 'start', env);
}

function stopSteps(layout: ServiceLayout, env: PathEnv | undefined): PlanStep[] {
  return [
    { ...netStep('stop the service (may already be stopped)', 'stop', env), ignoreFailure: true },
    {
      kind: 'exec',
      description: "wait until nssm's process has exited, so its file can be replaced",
      argv: [layout.exe, 'wait-released', layout.nssm, '--timeout-seconds', '30'],
      ignoreFailure: true,
    },
  ];
}

// The same settings the MSI writes, through `nssm set`; then the start mode and the service's own failure actions.
function settingsSteps(layout: ServiceLayout, env: PathEnv | undefined): PlanStep[] {
  const set = (name: string, ...value: string[]) => nssm(layout, `set ${name}`, 'set', SERVICE_ID, name, ...value);
  return [
    nssm(layout, 'set the display name', 'set', SERVICE_ID, 'DisplayName', SERVICE_NAME),
    nssm(layout, 'set the description', 'set', SERVICE_ID, 'Description', SERVICE_DESCRIPTION),
    nssm(layout, 'start at boot, delayed', 'set', SERVICE_ID, 'Start', 'SERVICE_DELAYED_AUTO_START'),
    ...nssmSettings(layout).map((s) => set(s.name, String(s.value))),
    nssm(layout, 'restart the agent whenever it exits', 'set', SERVICE_ID, 'AppExit', 'Default', APP_EXIT_DEFAULT),
    {
      kind: 'exec',
      description: 'should nssm itself fail: restart after 10 s, three times, reset after an hour',
      // sc.exe wants "reset=" and its value as separate arguments.
      argv: [
        system32Path('sc.exe', env),
        'failure',
        SERVICE_ID,
        'reset=',
        String(FAILURE_RESET_SECONDS),
        'actions=',
        FAILURE_RESTART_DELAYS_MS.map((d) => `restart/${d}`).join('/'),
      ],
    },
  ];
}
