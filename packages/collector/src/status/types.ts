/** Inputs and outputs of the status engine. Plain data: the engine never touches the database. */
import type { MachineStatus, ProbeData } from '@wuwatch/core';
import type { SourceStateFact } from './source-state.js';

// Statuses are shared vocabulary (API, simulator, benchmarks), so core owns them; re-exported for the engine's users.
export { MACHINE_STATUSES, type MachineStatus } from '@wuwatch/core';

/** The part of the core's PolicyAssessment the status engine reads. */
export interface AssessmentFacts {
  source: 'wsus' | 'windows_update' | 'disabled';
  wsusUrl: string | null;
  detectionIntervalHours?: number;
  problems: { code: string; severity: 'error' | 'warning' | 'info'; message: string }[];
}

/** What the collector knows about one machine, as of `now`. */
export interface MachineFacts {
  now: Date;
  firstSeen: Date;
  lastSeen: Date | null;
  connected: boolean;
  /** Set when the agent said goodbye (a graceful stop) and has not reconnected since. */
  lastGoodbyeAt: Date | null;
  assessment: AssessmentFacts | null;
  lastProbe: { at: Date; data: ProbeData } | null;
  probeFailingSince: Date | null;
  lastDetectionAt: Date | null;
  lastDetectionOutcome: 'succeeded' | 'failed' | 'unfinished' | null;
  lastDetectionHresult: string | null;
  consecutiveDetectionFailures: number;
  firstFailureAt: Date | null;
  lastSuccessDetectionAt: Date | null;
  /** The agent's sources as it last reported them (protocol 2; absent or empty for older agents). */
  sourceStates?: readonly SourceStateFact[];
}

/** One reason behind a status, with the evidence an operator needs. */
export interface StatusReason {
  code: string;
  status: MachineStatus;
  message: string;
  evidence: {
    hresult?: string;
    hresultName?: string;
    hresultClass?: string;
    description?: string;
    remedy?: string;
    url?: string | null;
    httpStatus?: number | null;
    probeClass?: string;
    since?: string | null;
    at?: string | null;
    count?: number;
    problem?: string;
  };
}

/** The engine's verdict for one machine. */
export interface StatusVerdict {
  status: MachineStatus;
  reasons: StatusReason[];
}

/** Thresholds the rules use (validated config, see config/schema.ts). */
export interface StatusThresholds {
  silentAfterMinutes: number;
  staleAfterIntervals: number;
  defaultDetectionIntervalHours: number;
}
