/**
 * Alert rules: pure functions from a snapshot of the fleet to the conditions wrong right now.
 * Conditions are not alerts yet: state.ts turns conditions seen over time into alerts (hysteresis, repeats,
 * silences). Conventions follow docs section 7: K consecutive failures, staleness, one incident per dead WSUS.
 */
import {
  describeHresult,
  failingStreak,
  httpReason,
  isOrphanPointer,
  isUnreachableProbe,
  normalizeWsusUrl,
  remedyForClass,
  type HresultDescription,
} from '@wuwatch/core';
import type { ProbeData } from '@wuwatch/core';
import * as z from 'zod';
import { keepFailingSentence } from '../status/services.js';
import { InstallFailuresConfig, installFailures } from './install-rule.js';
import type { AlertCondition, AlertEvidence, AlertMachineRef, AlertMachineSnapshot, AlertSeverity } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A goodbye recorded up to this long before the last-seen stamp (set on socket close) still counts as graceful. */
const GOODBYE_TOLERANCE_MS = 1000;
/** Hostnames listed in a summary before "and N more" (the machines array always has all of them). */
const SUMMARY_HOSTS = 20;

const positive = z.number().positive();
const enabled = z.boolean().default(true);

/** Alert configuration: per-rule thresholds, inhibition, hysteresis and the repeat interval. */
export const AlertRulesConfig = z
  .object({
    detectFailures: z
      .object({ enabled, threshold: z.number().int().min(1).default(3) })
      .strict()
      .prefault({}),
    detectStale: z
      .object({ enabled, afterHours: positive.default(72) })
      .strict()
      .prefault({}),
    wsusUnreachable: z
      .object({ enabled, afterMinutes: positive.default(30) })
      .strict()
      .prefault({}),
    agentSilent: z
      .object({ enabled, afterMinutes: positive.default(15), reportGracefulStop: z.boolean().default(true) })
      .strict()
      .prefault({}),
    /** Repeated install failures of one update on one machine (off by default; install-rule.ts). */
    installFailures: InstallFailuresConfig,
    /** Mute machine detection alerts explained by a dead WSUS server or a silent agent. */
    inhibit: z.boolean().default(true),
    hysteresis: z
      .object({
        clearAfterMinutes: z.number().nonnegative().default(30),
        clearAfterGoodObservations: z.number().int().min(1).default(2),
      })
      .strict()
      .prefault({}),
    repeatIntervalMinutes: positive.default(240),
    /**
     * A grouped alert (one dead WSUS server, its machines) that comes to name more machines is notified again
     * (`grown`), but not sooner than this after its last notification (Alertmanager's group_interval).
     */
    groupIntervalMinutes: z.number().nonnegative().default(5),
  })
  .strict();

export type AlertRulesConfig = z.infer<typeof AlertRulesConfig>;

/**
 * The documented defaults: 3 failures, 72 h stale, WSUS dead 30 min, silent 15 min, clear after 30 min or 2 good
 * observations, repeat every 4 h, more machines on a firing WSUS alert notified at most every 5 min.
 */
export const DEFAULT_ALERT_RULES: Readonly<AlertRulesConfig> = Object.freeze(AlertRulesConfig.parse({}));

/** Everything the rules read: the machines, the clock and, per normalised WSUS URL, how many machines point at it. */
export interface AlertRulesInput {
  machines: readonly AlertMachineSnapshot[];
  now: Date;
  /** Machines pointing at each normalised WSUS URL (whole fleet); missing URLs are counted in `machines`. */
  wsusMachineCounts?: Readonly<Record<string, number>>;
}

const PROBE_WHAT: Readonly<Record<string, string>> = {
  dns: 'its name does not resolve',
  refused: 'the connection is refused',
  timeout: 'the connection times out',
  tls: 'the TLS handshake fails',
  proxy_auth: 'the proxy asks for authentication (HTTP 407)',
};

const PROBE_HINTS: Readonly<Record<string, string>> = {
  dns: 'The name does not resolve: check the DNS record of the server (it may have been removed with the server).',
  refused:
    'Nothing answers on that port: check that IIS and the WSUS site run and that the port is right (8530/8531 by default, 80/443 on old servers).',
  timeout: 'No answer at all: check that the server is up and that no firewall drops the traffic.',
  tls: 'TLS fails: check the certificate (name, expiry, chain trusted by the machines) and that TLS 1.2 is enabled on both sides.',
};

/** Compact human duration: `45 min`, `5 h 10 min`, `3 d 2 h`. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / MINUTE));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** The key an alert is stored and inhibited under: `<rule>/<subject>`. */
export function conditionKey(c: { rule: string; subject: string }): string {
  return `${c.rule}/${c.subject}`;
}

/** The canonical WSUS URL used in subjects (`wsus:<url>`); unparsable values are kept trimmed. */
export function wsusKey(url: string): string {
  return normalizeWsusUrl(url) ?? url.trim();
}

function iso(d: Date | null): string | undefined {
  return d ? d.toISOString() : undefined;
}

function describe(code: string | null | undefined): HresultDescription | undefined {
  if (!code) return undefined;
  try {
    return describeHresult(code);
  } catch {
    return undefined;
  }
}

function hresultEvidence(d: HresultDescription | undefined): AlertEvidence {
  if (!d) return {};
  const ev: AlertEvidence = { hresult: d.code, hresultName: d.name, meaning: d.description };
  if (d.httpStatus !== undefined) ev.httpStatus = d.httpStatus;
  return ev;
}

function machineUrl(m: AlertMachineSnapshot): string | undefined {
  const fromReason = m.statusReasons.find((r) => typeof r.evidence.url === 'string')?.evidence.url;
  return m.wsusUrl ?? m.lastProbe?.url ?? fromReason ?? undefined;
}

function detectFailures(m: AlertMachineSnapshot, threshold: number): AlertCondition | null {
  // The streak is core's definition (fleet/detection.ts), the same the status engine reads at threshold 1.
  const streak = failingStreak(m, threshold);
  if (!streak) return null;
  const n = streak.count;
  const d = describe(m.lastDetectionHresult);
  const url = machineUrl(m);
  const code = d ? ` with ${d.code} (${d.name})` : m.lastDetectionHresult ? ` with ${m.lastDetectionHresult}` : '';
  const evidence: AlertEvidence = {
    ...hresultEvidence(d),
    count: n,
    threshold: `${threshold} consecutive failed detections`,
    machineStatus: m.status,
  };
  if (url) evidence.url = url;
  if (m.firstFailureAt) evidence.since = m.firstFailureAt.toISOString();
  if (m.lastDetectionAt) evidence.lastAt = m.lastDetectionAt.toISOString();
  // The status engine counted only the scans that matter for the policy and named their service and the context.
  const reason = m.statusReasons.find((r) => r.code === 'DETECTION_FAILING');
  if (reason?.evidence.service) evidence.service = reason.evidence.service;
  const context = reason?.evidence.context;
  const service = reason?.evidence.service;
  return {
    rule: 'detect_failures',
    subject: `machine:${m.machineId}`,
    machines: [{ machineId: m.machineId, hostname: m.hostname }],
    severity: 'warning',
    title: `Windows Update detection failing on ${m.hostname}`,
    summary:
      `Windows Update detection${service ? ` against ${service}` : ''} has failed ${n} times in a row on ${m.hostname}` +
      `${m.firstFailureAt ? ` since ${m.firstFailureAt.toISOString()}` : ''}${code}` +
      `${url ? `; the machine asks ${url}` : ''}.` +
      (context ? keepFailingSentence(context, service ?? null) : ''),
    evidence,
    fix:
      d?.remedy ??
      `Read the lines around the failure in WindowsUpdate.log on ${m.hostname} (or run wuwatch-agent diagnose there) to find the error code, then follow its fix.`,
  };
}

function detectStale(m: AlertMachineSnapshot, now: Date, afterHours: number): AlertCondition | null {
  const reference = m.lastSuccessDetectionAt ?? m.firstSeen;
  const age = now.getTime() - reference.getTime();
  if (age <= afterHours * HOUR) return null;
  const d = describe(m.lastDetectionHresult);
  const url = machineUrl(m);
  const evidence: AlertEvidence = {
    ...hresultEvidence(d),
    since: reference.toISOString(),
    threshold: `${afterHours} h without a successful detection`,
    machineStatus: m.status,
  };
  if (url) evidence.url = url;
  if (m.lastDetectionAt) evidence.lastAt = m.lastDetectionAt.toISOString();
  const base =
    `Check on ${m.hostname} that the Windows Update service (wuauserv) is not disabled and that no policy blocks it, ` +
    'then run wuwatch-agent diagnose there.';
  return {
    rule: 'detect_stale',
    subject: `machine:${m.machineId}`,
    machines: [{ machineId: m.machineId, hostname: m.hostname }],
    severity: 'warning',
    title: `No successful Windows Update detection on ${m.hostname} for ${formatDuration(age)}`,
    summary: m.lastSuccessDetectionAt
      ? `${m.hostname} last completed a Windows Update detection at ${reference.toISOString()}, ${formatDuration(age)} ago (limit ${afterHours} h).`
      : `${m.hostname} has not completed a Windows Update detection since wuwatch first saw it at ${reference.toISOString()}, ${formatDuration(age)} ago (limit ${afterHours} h).`,
    evidence,
    fix: d ? `${base}\nIts last detection error was ${d.code} (${d.name}):\n${d.remedy}` : base,
  };
}

function agentSilent(m: AlertMachineSnapshot, now: Date, cfg: AlertRulesConfig['agentSilent']): AlertCondition | null {
  const last = m.lastSeen ?? m.firstSeen;
  const silentFor = now.getTime() - last.getTime();
  if (silentFor <= cfg.afterMinutes * MINUTE) return null;
  const graceful = m.lastGoodbyeAt !== null && m.lastGoodbyeAt.getTime() >= last.getTime() - GOODBYE_TOLERANCE_MS;
  if (graceful && !cfg.reportGracefulStop) return null;
  const evidence: AlertEvidence = {
    since: last.toISOString(),
    threshold: `${cfg.afterMinutes} min without contact`,
    graceful,
    machineStatus: m.status,
  };
  const base = {
    rule: 'agent_silent' as const,
    subject: `machine:${m.machineId}`,
    machines: [{ machineId: m.machineId, hostname: m.hostname }],
    evidence,
  };
  if (graceful) {
    return {
      ...base,
      severity: 'info',
      title: `wuwatch agent on ${m.hostname} stopped on purpose`,
      summary: `The agent on ${m.hostname} said goodbye at ${iso(m.lastGoodbyeAt)} (stopped on purpose: service stop, shutdown or uninstall) and has not reconnected for ${formatDuration(silentFor)}.`,
      fix: `Nothing to do if ${m.hostname} was shut down or the agent removed on purpose. Otherwise start the wuwatch agent service on it.`,
    };
  }
  return {
    ...base,
    severity: 'warning',
    title: `wuwatch agent on ${m.hostname} is silent`,
    summary: `Nothing heard from ${m.hostname} since ${last.toISOString()} (${formatDuration(silentFor)}, limit ${cfg.afterMinutes} min) and it did not say goodbye: the machine may be down or off the network, or the agent stopped unexpectedly.`,
    fix: `Check that ${m.hostname} is up, that the wuwatch agent service runs on it, and that it can reach the collector (firewall, proxy, TLS certificate). The agent spools events on disk while it cannot connect, so nothing is lost once it is back.`,
  };
}

function probeWhat(p: ProbeData): string {
  if (p.class === 'http_status' && p.httpStatus !== null) {
    return `it answers HTTP ${p.httpStatus} ${httpReason(p.httpStatus)}`;
  }
  return PROBE_WHAT[p.class] ?? `the probe fails (${p.class})`;
}

function mostCommon<T>(items: readonly T[], key: (t: T) => string): T | undefined {
  const counts = new Map<string, number>();
  let best: T | undefined;
  let bestCount = 0;
  for (const item of items) {
    const k = key(item);
    const c = (counts.get(k) ?? 0) + 1;
    counts.set(k, c);
    if (c > bestCount) [best, bestCount] = [item, c];
  }
  return best;
}

function wsusFix(url: string, probe: ProbeData, orphanHost: string | undefined): string {
  // BITS reports HTTP statuses as 0x80190000 + status, and the catalogue attaches the status-specific hint to it.
  const status = probe.class === 'http_status' && probe.httpStatus !== null ? probe.httpStatus : undefined;
  const byCode =
    describe(probe.hresult) ?? (status !== undefined ? describe(`0x${(0x80190000 + status).toString(16)}`) : undefined);
  const remedy = byCode?.class === 'unreachable' ? byCode.remedy : remedyForClass('unreachable');
  // The catalogue's remedy already starts with a hint for its code; add ours only when it had nothing to say.
  const hint = byCode === undefined ? PROBE_HINTS[probe.class] : undefined;
  const lead = orphanHost
    ? `Only ${orphanHost} points at ${url}, so the server is most likely gone and the pointer is a leftover. On ${orphanHost}, find the policy that sets "Specify intranet Microsoft update service location" (gpresult /h report.html or rsop.msc) and set it to "Not Configured" or to the current WSUS server.`
    : `Every machine listed fails to reach ${url}: bring the server back, or move these machines to a working WSUS server in the GPO that points them at it.`;
  return [lead, hint, remedy].filter((s): s is string => s !== undefined).join('\n');
}

interface FailingMachine {
  machine: AlertMachineSnapshot;
  probe: ProbeData;
  since: Date;
}

function wsusUnreachable(input: AlertRulesInput, afterMinutes: number): AlertCondition[] {
  const groups = new Map<string, FailingMachine[]>();
  for (const m of input.machines) {
    const p = m.lastProbe;
    if (!p || !isUnreachableProbe(p) || !m.probeFailingSince) continue;
    if (input.now.getTime() - m.probeFailingSince.getTime() <= afterMinutes * MINUTE) continue;
    const key = wsusKey(p.url);
    const list = groups.get(key) ?? [];
    list.push({ machine: m, probe: p, since: m.probeFailingSince });
    groups.set(key, list);
  }
  const conditions: AlertCondition[] = [];
  for (const [url, failing] of groups) {
    failing.sort((a, b) => a.machine.hostname.localeCompare(b.machine.hostname));
    const counted = input.machines.filter((m) => {
      const u = m.wsusUrl ?? m.lastProbe?.url;
      return u !== undefined && wsusKey(u) === url;
    }).length;
    const pointing = Math.max(input.wsusMachineCounts?.[url] ?? counted, failing.length);
    // Core's orphan rule (fleet/wsus.ts), the one the WSUS servers view applies.
    const orphan = isOrphanPointer({ machines: pointing, unreachable: failing.length });
    const since = new Date(Math.min(...failing.map((f) => f.since.getTime())));
    const top = mostCommon(failing, (f) => `${f.probe.class}:${f.probe.httpStatus}`);
    if (!top) continue;
    const probe = top.probe;
    const machines: AlertMachineRef[] = failing.map((f) => ({
      machineId: f.machine.machineId,
      hostname: f.machine.hostname,
    }));
    const hosts = machines.map((m) => m.hostname);
    const listed =
      hosts.length > SUMMARY_HOSTS
        ? `${hosts.slice(0, SUMMARY_HOSTS).join(', ')} and ${hosts.length - SUMMARY_HOSTS} more`
        : hosts.join(', ');
    const evidence: AlertEvidence = {
      ...hresultEvidence(describe(probe.hresult)),
      url,
      probeClass: probe.class,
      since: since.toISOString(),
      count: failing.length,
      machinesPointing: pointing,
      orphan,
      threshold: `probe failing for more than ${afterMinutes} min`,
    };
    if (probe.httpStatus !== null) evidence.httpStatus = probe.httpStatus;
    const host = hosts[0] ?? 'one machine';
    const severity: AlertSeverity = orphan ? 'warning' : 'critical';
    conditions.push({
      rule: 'wsus_unreachable',
      subject: `wsus:${url}`,
      severity,
      title: orphan
        ? `Orphan WSUS pointer: ${host} points at unreachable ${url}`
        : `WSUS server ${url} unreachable from ${failing.length} machine${failing.length === 1 ? '' : 's'}`,
      summary: orphan
        ? `Orphan pointer: only ${host} points at ${url}, and it has not reached it since ${since.toISOString()} (${probeWhat(probe)}). Most likely a leftover policy aiming at a WSUS server that no longer exists.`
        : `${failing.length} of the ${pointing} machines pointing at ${url} have not reached it since ${since.toISOString()} (${probeWhat(probe)}): ${listed}.`,
      evidence,
      fix: wsusFix(url, probe, orphan ? host : undefined),
      machines,
    });
  }
  return conditions;
}

const SEVERITY_ORDER: readonly AlertSeverity[] = ['critical', 'warning', 'info'];

function inhibit(conditions: AlertCondition[]): void {
  // Alertmanager-style inhibition: the WSUS incident (or the silent agent) explains the machine's detection
  // alerts, so those stay recorded but are not notified separately.
  const explainedBy = new Map<string, string>();
  for (const c of conditions) {
    if (c.rule === 'wsus_unreachable') {
      for (const m of c.machines ?? []) explainedBy.set(`machine:${m.machineId}`, conditionKey(c));
    }
  }
  for (const c of conditions) {
    if (c.rule === 'agent_silent') explainedBy.set(c.subject, conditionKey(c));
  }
  for (const c of conditions) {
    if (c.rule !== 'detect_failures' && c.rule !== 'detect_stale') continue;
    const by = explainedBy.get(c.subject);
    if (by !== undefined) c.inhibitedBy = by;
  }
}

/** Evaluates every enabled rule over the snapshot; sorted by severity, rule and subject. */
export function evaluateAlertRules(
  input: AlertRulesInput,
  config: AlertRulesConfig = DEFAULT_ALERT_RULES,
): AlertCondition[] {
  const conditions: AlertCondition[] = [];
  for (const m of input.machines) {
    const found = [
      config.detectFailures.enabled ? detectFailures(m, config.detectFailures.threshold) : null,
      config.detectStale.enabled ? detectStale(m, input.now, config.detectStale.afterHours) : null,
      config.agentSilent.enabled ? agentSilent(m, input.now, config.agentSilent) : null,
      config.installFailures.enabled ? installFailures(m, config.installFailures.threshold) : null,
    ];
    for (const c of found) if (c) conditions.push(c);
  }
  if (config.wsusUnreachable.enabled) conditions.push(...wsusUnreachable(input, config.wsusUnreachable.afterMinutes));
  if (config.inhibit) inhibit(conditions);
  return conditions.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.subject.localeCompare(b.subject),
  );
}

/** Subjects whose alerts a fresh report from this machine re-observes (its own and its WSUS server's). */
export function subjectsForMachine(m: Pick<AlertMachineSnapshot, 'machineId' | 'wsusUrl' | 'lastProbe'>): string[] {
  const subjects = [`machine:${m.machineId}`];
  for (const u of new Set([m.wsusUrl, m.lastProbe?.url])) if (u) subjects.push(`wsus:${wsusKey(u)}`);
  return [...new Set(subjects)];
}
