/**
 * The status engine: pure rules from a machine's facts to one status plus every reason behind it.
 * Precedence (first match wins the status, all matches are kept as reasons):
 * silent > misconfigured > wsus_unreachable > wsus_error > detect_failing > detect_stale > healthy > unknown.
 * Silence wins because every other fact about a silent machine may be out of date.
 */
import { STATUS_PRECEDENCE, describeHresult, failingStreak, probeReach, type HresultDescription } from '@wuwatch/core';
import { contextScans, decidingService, keepFailingSentence } from './services.js';
import type { MachineFacts, MachineStatus, StatusReason, StatusThresholds, StatusVerdict } from './types.js';
import { sourceStateReasons } from './source-state.js';

const HOUR = 3_600_000;

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function hresultEvidence(code: string | null): StatusReason['evidence'] {
  if (!code) return {};
  let d: HresultDescription;
  try {
    d = describeHresult(code);
  } catch {
    return { hresult: code };
  }
  return { hresult: d.code, hresultName: d.name, hresultClass: d.class, description: d.description, remedy: d.remedy };
}

function silentReason(f: MachineFacts, t: StatusThresholds): StatusReason | null {
  // last_seen, not the connected flag, decides: connected sockets refresh it every heartbeat, and a crashed
  // collector leaves connected = true behind.
  const last = f.lastSeen ?? f.firstSeen;
  if (f.now.getTime() - last.getTime() < t.silentAfterMinutes * 60_000) return null;
  const graceful = f.lastGoodbyeAt !== null && f.lastGoodbyeAt.getTime() >= last.getTime() - 1000;
  return {
    code: graceful ? 'AGENT_STOPPED' : 'AGENT_SILENT',
    status: 'silent',
    message: graceful
      ? `The agent was stopped on purpose at ${iso(f.lastGoodbyeAt)} and has not come back.`
      : `The agent has not been heard from since ${iso(last)} (more than ${t.silentAfterMinutes} min); the server may be down or the agent service stopped.`,
    evidence: { since: iso(last) },
  };
}

function policyReasons(f: MachineFacts): StatusReason[] {
  return (f.assessment?.problems ?? [])
    .filter((p) => p.severity === 'error')
    .map((p) => ({
      code: `POLICY_${p.code}`,
      status: 'misconfigured' as const,
      message: p.message,
      evidence: { problem: p.code, url: f.assessment?.wsusUrl ?? null },
    }));
}

function probeReasons(f: MachineFacts): StatusReason[] {
  const p = f.lastProbe;
  if (!p || p.data.ok) return [];
  // Unreachable vs. answering wrongly is core's one definition (fleet/probe.ts), shared with alerts and the WSUS view.
  const unreachable = probeReach(p.data) === 'unreachable';
  const what =
    p.data.class === 'http_status'
      ? `answers HTTP ${p.data.httpStatus}`
      : p.data.class === 'invalid_url'
        ? 'has an invalid URL'
        : `cannot be reached (${p.data.class}${p.data.message ? `: ${p.data.message}` : ''})`;
  return [
    {
      code: unreachable ? 'PROBE_UNREACHABLE' : 'PROBE_SERVER_ERROR',
      status: unreachable ? 'wsus_unreachable' : 'wsus_error',
      message: `The WSUS server ${p.data.url} ${what} when probed from this machine${f.probeFailingSince ? `, failing since ${iso(f.probeFailingSince)}` : ''}.`,
      evidence: {
        ...hresultEvidence(p.data.hresult),
        url: p.data.url,
        httpStatus: p.data.httpStatus,
        probeClass: p.data.class,
        since: iso(f.probeFailingSince),
        at: iso(p.at),
      },
    },
  ];
}

function detectionReasons(f: MachineFacts): StatusReason[] {
  // The streak counts only scans of the services that matter for the policy (services.ts); others are context.
  const streak = failingStreak(f);
  if (!streak) return [];
  const ev = hresultEvidence(streak.hresult);
  const status: MachineStatus =
    ev.hresultClass === 'unreachable' && f.assessment?.source === 'wsus'
      ? 'wsus_unreachable'
      : ev.hresultClass === 'server_error' && f.assessment?.source === 'wsus'
        ? 'wsus_error'
        : 'detect_failing';
  const n = streak.count;
  const service = decidingService(f.scans, f.servicesThatMatter);
  const context = contextScans(f.scans, f.servicesThatMatter);
  const what = service ? `Detection against ${service}` : 'Detection';
  return [
    {
      code: 'DETECTION_FAILING',
      status,
      message:
        `${what} has failed ${n} time${n === 1 ? '' : 's'} in a row since ${iso(streak.since)}` +
        `${streak.hresult ? ` with ${streak.hresult}${ev.hresultName ? ` (${ev.hresultName})` : ''}` : ''}.` +
        (context ? keepFailingSentence(context, service) : ''),
      evidence: {
        ...ev,
        count: n,
        since: iso(streak.since),
        at: iso(f.lastDetectionAt),
        url: f.assessment?.wsusUrl ?? null,
        ...(service ? { service } : {}),
        ...(context ? { context } : {}),
      },
    },
  ];
}

function staleReason(f: MachineFacts, t: StatusThresholds): StatusReason | null {
  const intervalH = f.assessment?.detectionIntervalHours ?? t.defaultDetectionIntervalHours;
  const limitMs = t.staleAfterIntervals * intervalH * HOUR;
  // A machine we have known for less than the limit is not stale just because we have not seen it succeed yet.
  const reference = f.lastSuccessDetectionAt ?? f.firstSeen;
  if (f.now.getTime() - reference.getTime() <= limitMs) return null;
  // A Store scan that succeeded is no successful detection for this machine's updates: say so, not hide it.
  const context = contextScans(f.scans, f.servicesThatMatter);
  return {
    code: 'DETECTION_STALE',
    status: 'detect_stale',
    message:
      (f.lastSuccessDetectionAt
        ? `No successful detection since ${iso(f.lastSuccessDetectionAt)} (more than ${t.staleAfterIntervals} × ${intervalH} h).`
        : `No successful detection seen since the machine was first seen at ${iso(f.firstSeen)} (more than ${t.staleAfterIntervals} × ${intervalH} h).`) +
      (context ? ` Scans that do not count for this machine's updates: ${context}.` : ''),
    evidence: {
      since: iso(f.lastSuccessDetectionAt),
      url: f.assessment?.wsusUrl ?? null,
      ...(context ? { context } : {}),
    },
  };
}

function healthyReason(f: MachineFacts): StatusReason | null {
  if (f.lastDetectionOutcome === 'succeeded' || f.lastSuccessDetectionAt || f.lastProbe?.data.ok) {
    return {
      code: 'HEALTHY',
      status: 'healthy',
      message: f.lastSuccessDetectionAt
        ? `Last successful detection at ${iso(f.lastSuccessDetectionAt)}.`
        : 'The update server answers from this machine.',
      evidence: { at: iso(f.lastSuccessDetectionAt), url: f.assessment?.wsusUrl ?? null },
    };
  }
  return null;
}

/** Computes a machine's status and the reasons behind it from its facts. */
export function computeStatus(f: MachineFacts, t: StatusThresholds): StatusVerdict {
  const reasons: StatusReason[] = [];
  const silent = silentReason(f, t);
  if (silent) reasons.push(silent);
  reasons.push(...policyReasons(f), ...probeReasons(f), ...detectionReasons(f));
  reasons.push(...sourceStateReasons(f.sourceStates));
  const stale = staleReason(f, t);
  if (stale) reasons.push(stale);
  if (reasons.length === 0) {
    const healthy = healthyReason(f);
    if (healthy) reasons.push(healthy);
  }
  if (reasons.length === 0) {
    return {
      status: 'unknown',
      reasons: [
        { code: 'NO_DATA', status: 'unknown', message: 'No detection or probe result has arrived yet.', evidence: {} },
      ],
    };
  }
  const status = STATUS_PRECEDENCE.find((s) => reasons.some((r) => r.status === s)) ?? 'unknown';
  reasons.sort((a, b) => STATUS_PRECEDENCE.indexOf(a.status) - STATUS_PRECEDENCE.indexOf(b.status));
  return { status, reasons };
}
