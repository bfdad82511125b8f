/**
 * Folding events into a machine's current state (pure). The ingest writes events append-only and keeps
 * this projection on the machine row, so status and queries never rescan history.
 */
import {
  DetectionData,
  InstallData,
  ProbeData,
  SourceStateData,
  type UpdateSources,
  type WireEvent,
} from '@wuwatch/core';
import { countedDetection } from '../status/services.js';
import type { AssessmentFacts, ScansByService } from '../status/types.js';
import { applyDetection } from './detections.js';
import {
  applyInstall,
  installRecord,
  lastInstall,
  lastInstallFailure,
  noInstalls,
  type InstallState,
} from './installs.js';
import { updateSourcesOf } from './sources.js';
import type { SourceStateFact } from '../status/source-state.js';

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
  /** The MDM (PolicyManager) Update values sent with the policy; null from agents that do not read them. */
  policyMdm: unknown;
  /** Where each class of update comes from, and the services whose scans count (core's assessUpdateSources). */
  updateSources: UpdateSources | null;
  /** Detections per update service; the detection fields above are derived from these (status/services.ts). */
  scans: ScansByService;
  /** The last installs and, per update, its failures since it last installed. */
  installs: InstallState;
  /** The newest failed install (indexed: the fleet's install-failure listing starts from it). */
  lastInstallFailureAt: Date | null;
  /** The newest install of any outcome (indexed: the fleet's install listing starts from it). */
  lastInstallAt: Date | null;
  /** The agent's sources by `source:name` as last reported (`source_state`, protocol 2); null before any report. */
  sourceStates: Record<string, SourceStateFact> | null;
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
    policyMdm: null,
    updateSources: null,
    scans: {},
    installs: noInstalls(),
    lastInstallFailureAt: null,
    lastInstallAt: null,
    sourceStates: null,
  };
}

/** Policy handling is injected so this module stays independent of how policies are assessed. */
export interface PolicyAssessor {
  assess(policy: unknown): { assessment: AssessmentFacts; wsusUrl: string | null };
}

export { SAME_ATTEMPT_WINDOW_MS } from './detections.js';

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

function applySourceState(s: MachineProjection, at: Date, d: SourceStateData): MachineProjection {
  const key = `${d.source}:${d.name}`;
  const before = s.sourceStates?.[key];
  // An unchanged state keeps the time it began; a report older than the one kept (out of order) changes nothing.
  if (before && Date.parse(before.since) > at.getTime()) return s;
  if (before && before.state === d.state && before.reason === d.reason) return s;
  const fact: SourceStateFact = { ...d, since: at.toISOString() };
  return { ...s, sourceStates: { ...s.sourceStates, [key]: fact } };
}

function dateOrNull(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

function wuaLastSearch(lastWua: unknown): Date | null {
  return lastWua && typeof lastWua === 'object'
    ? dateOrNull((lastWua as Record<string, unknown>).lastSearchSuccessDate)
    : null;
}

/**
 * The derived part of a projection: the update sources from the policy (with the OS build when the caller knows the
 * machine's OS version) and, from them, the detection facts that count (status/services.ts). Every path that stores
 * a projection derives it here, so the status, the sweep and the alert rules read the same numbers.
 */
export function deriveProjection(s: MachineProjection, osVersion: string | null = null): MachineProjection {
  const updateSources = updateSourcesOf(s.policy, s.policyMdm, osVersion);
  const wua = wuaLastSearch(s.lastWua);
  if (Object.keys(s.scans).length === 0) {
    // No detection folded per service (a row from before the per-service scans, which the migration seeds when it
    // had detections, or one written by hand): its detection columns stand; only the WUA API can raise the success.
    const raised = wua && (!s.lastSuccessDetectionAt || wua > s.lastSuccessDetectionAt);
    return { ...s, updateSources, ...(raised ? { lastSuccessDetectionAt: wua } : {}) };
  }
  return { ...s, updateSources, ...countedDetection(s.scans, updateSources?.servicesThatMatter ?? null, wua) };
}

/** Applies events (in seq order) to a projection and returns the new projection. */
export function applyEvents(
  state: MachineProjection,
  events: readonly Pick<WireEvent, 'time' | 'kind' | 'data'>[],
  assessor: PolicyAssessor,
  osVersion: string | null = null,
): MachineProjection {
  let s = state;
  for (const e of events) {
    const at = new Date(e.time);
    switch (e.kind) {
      case 'detection': {
        const d = DetectionData.safeParse(e.data);
        if (d.success) {
          const scans = applyDetection(s.scans, at, d.data);
          if (scans !== s.scans) s = { ...s, scans };
        }
        break;
      }
      case 'install': {
        const d = InstallData.safeParse(e.data);
        if (d.success) {
          const installs = applyInstall(s.installs, installRecord(at, d.data));
          s = {
            ...s,
            installs,
            lastInstallFailureAt: lastInstallFailure(installs),
            lastInstallAt: lastInstall(installs),
          };
        }
        break;
      }
      case 'probe': {
        const p = ProbeData.safeParse(e.data);
        if (p.success) s = applyProbe(s, at, p.data);
        break;
      }
      case 'policy': {
        const { assessment, wsusUrl } = assessor.assess(e.data.policy);
        s = { ...s, policy: e.data.policy ?? null, policyMdm: e.data.mdm ?? null, assessment, wsusUrl };
        break;
      }
      case 'wua':
        s = { ...s, lastWua: e.data };
        break;
      case 'source_state': {
        const d = SourceStateData.safeParse(e.data);
        if (d.success) s = applySourceState(s, at, d.data);
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
  return s === state ? s : deriveProjection(s, osVersion);
}
