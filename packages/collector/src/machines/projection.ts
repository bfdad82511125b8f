/**
 * Folding events into a machine's current state (pure). The ingest writes events append-only and keeps
 * this projection on the machine row, so status and queries never rescan history.
 */
import { DetectionData, ProbeData, type WireEvent } from '@wuwatch/core';
import type { AssessmentFacts } from '../status/types.js';

/** The per-machine state derived from its events. */
export interface MachineProjection {
  policy: unknown;
  assessment: AssessmentFacts | null;
  wsusUrl: string | null;
  lastProbe: ProbeData | null;
  lastProbeAt: Date | null;
  lastProbeOk: boolean | null;
  probeFailingSince: Date | null;
  lastDetectionAt: Date | null;
  lastDetectionOutcome: 'succeeded' | 'failed' | 'unfinished' | null;
  lastDetectionHresult: string | null;
  lastDetectionSource: 'log' | 'event' | null;
  consecutiveDetectionFailures: number;
  firstFailureAt: Date | null;
  lastSuccessDetectionAt: Date | null;
  lastWua: unknown;
  lastGoodbyeAt: Date | null;
}

/** A projection for a machine with no events yet. */
export function emptyProjection(): MachineProjection {
  return {
    policy: null,
    assessment: null,
    wsusUrl: null,
    lastProbe: null,
    lastProbeAt: null,
    lastProbeOk: null,
    probeFailingSince: null,
    lastDetectionAt: null,
    lastDetectionOutcome: null,
    lastDetectionHresult: null,
    lastDetectionSource: null,
    consecutiveDetectionFailures: 0,
    firstFailureAt: null,
    lastSuccessDetectionAt: null,
    lastWua: null,
    lastGoodbyeAt: null,
  };
}

/** Policy handling is injected so this module stays independent of how policies are assessed. */
export interface PolicyAssessor {
  assess(policy: unknown): { assessment: AssessmentFacts; wsusUrl: string | null };
}

/**
 * Two sightings of one detection attempt (a log cycle and its event 25/26) are counted once when they
 * come from different sources, agree on the outcome and lie within this window.
 */
export const SAME_ATTEMPT_WINDOW_MS = 10 * 60_000;

function applyDetection(s: MachineProjection, at: Date, d: DetectionData): MachineProjection {
  // A scan Windows cancelled (a newer interactive search, the service stopping) is neither a failure nor a success:
  // it leaves the streak alone, and staleness keeps counting from the last success (issue 15).
  if (d.outcome === 'unfinished' || d.outcome === 'cancelled') return s;
  // The same cycle re-read from the log after an agent crash (at-least-once at the tail's crash boundary)
  // arrives with a new seq but the same source and end time: it is one attempt.
  if (s.lastDetectionAt?.getTime() === at.getTime() && s.lastDetectionSource === d.source) return s;
  if (
    s.lastDetectionAt &&
    s.lastDetectionSource !== null &&
    s.lastDetectionSource !== d.source &&
    s.lastDetectionOutcome === d.outcome &&
    Math.abs(at.getTime() - s.lastDetectionAt.getTime()) <= SAME_ATTEMPT_WINDOW_MS
  ) {
    return s;
  }
  // Events can arrive out of order across sources; an older attempt must not overwrite a newer verdict.
  if (s.lastDetectionAt && at.getTime() < s.lastDetectionAt.getTime()) {
    if (d.outcome === 'succeeded' && (!s.lastSuccessDetectionAt || at > s.lastSuccessDetectionAt)) {
      return { ...s, lastSuccessDetectionAt: at };
    }
    return s;
  }
  if (d.outcome === 'succeeded') {
    return {
      ...s,
      lastDetectionAt: at,
      lastDetectionOutcome: 'succeeded',
      lastDetectionHresult: null,
      lastDetectionSource: d.source,
      consecutiveDetectionFailures: 0,
      firstFailureAt: null,
      lastSuccessDetectionAt: at,
    };
  }
  return {
    ...s,
    lastDetectionAt: at,
    lastDetectionOutcome: 'failed',
    lastDetectionHresult: d.hresult,
    lastDetectionSource: d.source,
    consecutiveDetectionFailures: s.consecutiveDetectionFailures + 1,
    firstFailureAt: s.firstFailureAt ?? at,
  };
}

/**
 * A probe result holds until the agent reports a different one. Agents report a result when it changes and otherwise
 * only as a "still the same" mark every few hours (agent `intervals.probeRepeatSeconds`, issue 16), so lastProbeAt is
 * when the result was first seen or last confirmed, not when the probe last ran, and nothing may age the verdict by it:
 * while the agent is connected (last_seen, refreshed by the sweep) its last result is the current one, and an agent
 * that goes quiet makes the machine `silent`, which outranks every probe status. probeFailingSince keeps the first
 * failing result's time through the marks.
 */
function applyProbe(s: MachineProjection, at: Date, p: ProbeData): MachineProjection {
  if (s.lastProbeAt && at < s.lastProbeAt) return s;
  return {
    ...s,
    lastProbe: p,
    lastProbeAt: at,
    lastProbeOk: p.ok,
    probeFailingSince: p.ok ? null : (s.probeFailingSince ?? at),
  };
}

function dateOrNull(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Applies events (in seq order) to a projection and returns the new projection. */
export function applyEvents(
  state: MachineProjection,
  events: readonly Pick<WireEvent, 'time' | 'kind' | 'data'>[],
  assessor: PolicyAssessor,
): MachineProjection {
  let s = state;
  for (const e of events) {
    const at = new Date(e.time);
    switch (e.kind) {
      case 'detection': {
        const d = DetectionData.safeParse(e.data);
        if (d.success) s = applyDetection(s, at, d.data);
        break;
      }
      case 'probe': {
        const p = ProbeData.safeParse(e.data);
        if (p.success) s = applyProbe(s, at, p.data);
        break;
      }
      case 'policy': {
        const { assessment, wsusUrl } = assessor.assess(e.data.policy);
        s = { ...s, policy: e.data.policy ?? null, assessment, wsusUrl };
        break;
      }
      case 'wua': {
        const lastSearch = dateOrNull(e.data.lastSearchSuccessDate);
        s = { ...s, lastWua: e.data };
        if (lastSearch && (!s.lastSuccessDetectionAt || lastSearch > s.lastSuccessDetectionAt)) {
          s = { ...s, lastSuccessDetectionAt: lastSearch };
        }
        break;
      }
      case 'agent_stopping':
        s = { ...s, lastGoodbyeAt: at };
        break;
      case 'agent_started':
        s = { ...s, lastGoodbyeAt: null };
        break;
      default:
        break;
    }
  }
  return s;
}
