/**
 * The agent's configuration folder as an installer leaves it: `%ProgramData%\wuwatch` restricted to SYSTEM and
 * Administrators, then agent.json written into it. The MSI runs this through `wuwatch-agent configure` (a deferred
 * custom action, as SYSTEM); `wuwatch-agent install` runs the same steps.
 */
import { posix, win32 } from 'node:path';
import { makeError } from '@wuwatch/core';
import { parseCollectorUrls } from '../config/collector-urls.js';
import { AGENT_CONFIG_FILE, system32Path, type PathEnv } from '../platform/paths.js';
import type { Plan, PlanStep, ServiceAccount } from './types.js';

// Well-known SIDs: account names are localized ("Administratoren"), SIDs are not.
const SYSTEM_SID = '*S-1-5-18';
const ADMINISTRATORS_SID = '*S-1-5-32-544';
const REDACTED = '<redacted>';

/** What agent.json says. Empty strings count as not given (an MSI passes "" for a property nobody set). */
export interface AgentSettings {
  collectorUrl?: string | undefined;
  enrollSecret?: string | undefined;
  caFile?: string | undefined;
}

/** Options of {@link planConfigure}. */
export interface ConfigureOptions extends AgentSettings {
  stateDir: string;
  /** An agent.json is already there: without new values it is kept as it is (upgrade). */
  configExists: boolean;
  account?: ServiceAccount;
  env?: PathEnv;
  pathStyle?: 'win32' | 'posix';
  /** Skip the icacls step (tests on Linux run the plan against a temp dir). */
  skipAcl?: boolean;
}

/** The agent.json an installer writes. */
export function agentConfigJson(settings: AgentSettings & { stateDir: string }): string {
  const o: Record<string, string> = {};
  if (settings.collectorUrl) o.collectorUrl = settings.collectorUrl;
  if (settings.enrollSecret) o.enrollSecret = settings.enrollSecret;
  o.stateDir = settings.stateDir;
  if (settings.caFile) o.caFile = settings.caFile;
  return JSON.stringify(o, null, 2) + '\n';
}

/**
 * Steps: create the state and logs folders, restrict the state folder, write agent.json (or keep the existing one
 * when no values are given). Throws WUW_CONFIG_INVALID when there is neither a config nor a collector URL and secret.
 */
export function planConfigure(opts: ConfigureOptions): Plan {
  const p = opts.pathStyle === 'posix' ? posix : win32;
  const url = opts.collectorUrl?.trim() ?? '';
  const secret = opts.enrollSecret?.trim() ?? '';
  const caFile = opts.caFile?.trim() ?? '';
  const configPath = p.join(opts.stateDir, AGENT_CONFIG_FILE);
  const steps: PlanStep[] = [
    { kind: 'mkdir', description: 'create the state directory (offsets, spool, token)', path: opts.stateDir },
    { kind: 'mkdir', description: 'create the service log directory', path: p.join(opts.stateDir, 'logs') },
  ];
  if (!opts.skipAcl) steps.push(aclStep(opts));
  if (url === '' && secret === '' && caFile === '') {
    if (opts.configExists) return steps;
    throw makeError('CONFIG_INVALID', [
      `${configPath} does not exist yet: give the collector URL and an enrollment secret (msiexec … COLLECTOR_URL=https://… ENROLL_SECRET=wwe_…)`,
    ]);
  }
  if (url === '' || secret === '') {
    throw makeError('CONFIG_INVALID', [
      'give both the collector URL and the enrollment secret, or neither to keep agent.json',
    ]);
  }
  // One URL or several separated by commas (collectors sharing one database): each must be usable.
  parseCollectorUrls(url);
  const settings = { collectorUrl: url, enrollSecret: secret, caFile, stateDir: opts.stateDir };
  steps.push({
    kind: 'write',
    description: 'write the agent configuration (collector URL, enrollment secret)',
    path: configPath,
    content: agentConfigJson(settings),
    display: agentConfigJson({ ...settings, enrollSecret: REDACTED }),
  });
  return steps;
}

// Before agent.json is written: the enrollment secret must never sit in a folder Users can read.
function aclStep(opts: ConfigureOptions): PlanStep {
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
    argv: [system32Path('icacls.exe', opts.env), opts.stateDir, '/inheritance:r', '/grant:r', ...grants],
  };
}
