/**
 * Alert rules: pure functions from a snapshot of the fleet to the conditions wrong right now.
 * Conditions are not alerts yet: state.ts turns conditions seen over time into alerts (hysteresis, repeats,
 * silences). Conventions follow docs section 7: K consecutive failures, staleness, one incident per dead WSUS.
 */
import { failingStreak, tryDescribeHresult } from '@wuwatch/core';
import * as z from 'zod';
import { keepFailingSentence } from '../status/services.js';
import { hresultEvidence } from './evidence.js';
import { InstallFailuresConfig, installFailures } from './install-rule.js';
import type { AlertCondition, AlertEvidence, AlertMachineSnapshot, AlertSeverity } from './types.js';
import { wsusKey, wsusUnreachable } from './wsus-rule.js';

export { wsusKey };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A goodbye recorded up to this long before the last-seen stamp (set on socket close) still counts as graceful. */
const GOODBYE_TOLERANCE_MS = 1000;

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

function iso(d: Date | null): string | undefined {
  return d ? d.toISOString() : undefined;
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
  const d = tryDescribeHresult(m.lastDetectionHresult);
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
  const d = tryDescribeHresult(m.lastDetectionHresult);
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
