/** Mapping between a `machines` row and the pure projection/status types. */
import type { ProbeData } from '@wuwatch/core';
import type { AssessmentFacts, MachineFacts } from '../status/types.js';
import type { MachineProjection } from './projection.js';

/** Columns of `machines` the ingest and the status sweep read. */
export const MACHINE_STATE_COLUMNS = `id, agent_id, hostname, first_seen, last_seen, connected, last_goodbye_at, policy,
  policy_assessment, wsus_url, last_probe, last_probe_at, last_probe_ok, probe_failing_since, last_detection_at,
  last_detection_outcome, last_detection_hresult, last_detection_source, consecutive_detection_failures, first_failure_at,
  last_success_detection_at, last_wua, status`;

/** A `machines` row as pg returns it. */
export interface MachineStateRow {
  id: string;
  agent_id: string;
  hostname: string;
  first_seen: Date;
  last_seen: Date;
  connected: boolean;
  last_goodbye_at: Date | null;
  policy: unknown;
  policy_assessment: AssessmentFacts | null;
  wsus_url: string | null;
  last_probe: ProbeData | null;
  last_probe_at: Date | null;
  last_probe_ok: boolean | null;
  probe_failing_since: Date | null;
  last_detection_at: Date | null;
  last_detection_outcome: MachineProjection['lastDetectionOutcome'];
  last_detection_hresult: string | null;
  last_detection_source: 'log' | 'event' | null;
  consecutive_detection_failures: number;
  first_failure_at: Date | null;
  last_success_detection_at: Date | null;
  last_wua: unknown;
  status: string;
}

/** The projection stored in a row. */
export function rowToProjection(r: MachineStateRow): MachineProjection {
  return {
    policy: r.policy ?? null,
    assessment: r.policy_assessment ?? null,
    wsusUrl: r.wsus_url,
    lastProbe: r.last_probe ?? null,
    lastProbeAt: r.last_probe_at,
    lastProbeOk: r.last_probe_ok,
    probeFailingSince: r.probe_failing_since,
    lastDetectionAt: r.last_detection_at,
    lastDetectionOutcome: r.last_detection_outcome,
    lastDetectionHresult: r.last_detection_hresult,
    lastDetectionSource: r.last_detection_source,
    consecutiveDetectionFailures: r.consecutive_detection_failures,
    firstFailureAt: r.first_failure_at,
    lastSuccessDetectionAt: r.last_success_detection_at,
    lastWua: r.last_wua ?? null,
    lastGoodbyeAt: r.last_goodbye_at,
  };
}

/** The status engine's facts for a row (and possibly a fresher projection). */
export function toFacts(r: MachineStateRow, p: MachineProjection, now: Date, connected: boolean): MachineFacts {
  return {
    now,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    connected,
    lastGoodbyeAt: p.lastGoodbyeAt,
    assessment: p.assessment,
    lastProbe: p.lastProbe && p.lastProbeAt ? { at: p.lastProbeAt, data: p.lastProbe } : null,
    probeFailingSince: p.probeFailingSince,
    lastDetectionAt: p.lastDetectionAt,
    lastDetectionOutcome: p.lastDetectionOutcome,
    lastDetectionHresult: p.lastDetectionHresult,
    consecutiveDetectionFailures: p.consecutiveDetectionFailures,
    firstFailureAt: p.firstFailureAt,
    lastSuccessDetectionAt: p.lastSuccessDetectionAt,
  };
}
