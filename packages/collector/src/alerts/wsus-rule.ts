/**
 * The `wsus_unreachable` rule: machines whose probe has failed to reach their WSUS server for longer than the delay,
 * one condition per server (or an orphan pointer when a lone machine points at a server nothing else uses).
 */
import {
  httpReason,
  isOrphanPointer,
  isUnreachableProbe,
  normalizeWsusUrl,
  remedyForClass,
  tryDescribeHresult,
  type ProbeData,
} from '@wuwatch/core';
import { hresultEvidence } from './evidence.js';
import type { AlertCondition, AlertEvidence, AlertMachineRef, AlertMachineSnapshot, AlertSeverity } from './types.js';

const MINUTE = 60_000;
/** Hostnames listed in a summary before "and N more" (the machines array always has all of them). */
const SUMMARY_HOSTS = 20;

/** What the rule reads: the machines, the clock and, per normalised WSUS URL, how many machines point at it. */
export interface WsusRuleInput {
  machines: readonly AlertMachineSnapshot[];
  now: Date;
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

/** The canonical WSUS URL used in subjects (`wsus:<url>`); unparsable values are kept trimmed. */
export function wsusKey(url: string): string {
  return normalizeWsusUrl(url) ?? url.trim();
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
    tryDescribeHresult(probe.hresult) ??
    (status !== undefined ? tryDescribeHresult(`0x${(0x80190000 + status).toString(16)}`) : undefined);
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

/** One condition per WSUS server that machines have failed to reach for more than `afterMinutes`. */
export function wsusUnreachable(input: WsusRuleInput, afterMinutes: number): AlertCondition[] {
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
      ...hresultEvidence(tryDescribeHresult(probe.hresult)),
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
