/** Input and output of `diagnose`: what the agent knows about one machine, and the verdict in plain words. */
import * as z from 'zod';
import type {
  DetectionFinding,
  EventDetectionFinding,
  PolicyAssessment,
  ProbeData,
  UpdatePolicy,
  WuaData,
} from '@wuwatch/core';

/** A detection given by hand (tests, other tools): time as written (UTC ISO, or log local time without zone). */
export interface PlainDetection {
  time: string | null;
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'unfinished';
  hresult: string | null;
  source?: 'log' | 'event';
}

/** A detection from the log parser, from an event, or given by hand; per source in log/record order. */
export type DiagnoseDetection = DetectionFinding | EventDetectionFinding | PlainDetection;

/** Everything diagnose looks at. */
export interface DiagnoseInput {
  /** The policy, or null when it could not be read. */
  policy: UpdatePolicy | null;
  /** Why the policy could not be read (shown when `policy` is null). */
  policyError?: string | null;
  /** The policy's assessment; computed from `policy` when absent. */
  assessment?: PolicyAssessment | null;
  /** The latest probe of the WSUS server, or null when it was not probed. */
  probe: ProbeData | null;
  /** Recent detections from the log and/or events. */
  detections: readonly DiagnoseDetection[];
  /** WUA results, or null when unavailable. */
  wua: WuaData | null;
  now: Date | string;
  /** Hours without a successful detection before it counts as stale (default 3 × the detection interval). */
  staleAfterHours?: number;
  /** Consecutive failures that make a problem (default 2; one failure alone is reported as a note). */
  failureThreshold?: number;
  /**
   * The Operational event channel, when detections come from events (event mode): disabled is a problem (nothing
   * would ever be seen), no wevtutil or an unreadable answer a note. Absent or null: not checked (log mode, files).
   */
  eventChannel?: { state: 'enabled' | 'disabled' | 'no_wevtutil' | 'unknown'; detail?: string } | null;
}

/** Verdicts and their exit codes: healthy 0, problem 1, unknown 2. */
export const VERDICT_EXIT_CODES = Object.freeze({ healthy: 0, problem: 1, unknown: 2 } as const);

const evidenceValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One finding: a stable code, `problem` (drives the verdict) or `note`, the sentence, and the facts behind it. */
export const DiagnosisFindingSchema = z.object({
  code: z.string(),
  severity: z.enum(['problem', 'note']),
  message: z.string(),
  evidence: z.record(z.string(), evidenceValue),
});

/** The result, also the shape of `diagnose --json`. */
export const DiagnosisSchema = z.object({
  verdict: z.enum(['healthy', 'problem', 'unknown']),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  headline: z.string(),
  findings: z.array(DiagnosisFindingSchema),
  text: z.string(),
});

export type DiagnosisFinding = z.infer<typeof DiagnosisFindingSchema>;
export type Diagnosis = z.infer<typeof DiagnosisSchema>;
export type Verdict = Diagnosis['verdict'];
export type Evidence = DiagnosisFinding['evidence'];
