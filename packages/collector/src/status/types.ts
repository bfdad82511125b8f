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

/**
 * One update service's detections as the projection folds them (catalogue/services.ts in core names the services).
 * Times are ISO strings: the map is stored as jsonb and read back as it was written.
 */
export interface ServiceScans {
  /** The service's name (core's catalogue for known IDs, else the label the log wrote); null when unknown. */
  name: string | null;
  /** The latest counted attempt against this service. */
  lastAt: string | null;
  outcome: 'succeeded' | 'failed' | null;
  hresult: string | null;
  /** Which source (log or event) saw the latest attempt, so one attempt seen by both counts once. */
  source: 'log' | 'event' | null;
  /** Failed attempts in a row since the last success. */
  failures: number;
  firstFailureAt: string | null;
  lastSuccessAt: string | null;
}

/**
 * Detections per update service: the key is the service ID (upper-case GUID), or `''` for detections that named no
 * service (agents before issue 15, and logs or events that do not say).
 */
export type ScansByService = Record<string, ServiceScans>;

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
  /** Detections per update service: the fields above are the ones that count, derived from these (services.ts). */
  scans: ScansByService;
  /** Service IDs whose scans decide the status (core's assessUpdateSources); null while no policy is known. */
  servicesThatMatter: readonly string[] | null;
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
    /** The update service whose scans decide (detection reasons), when the detections name it. */
    service?: string;
    /** Scans of other services, shown as context: they never decide the status. */
    context?: string;
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
