/**
 * Folding one detection into the scans of its update service (pure). Each service keeps its own attempt, streak and
 * last success, so a Store scan that succeeds cannot reset a WSUS streak; which services count for the status is
 * decided afterwards, from the policy (status/services.ts).
 */
import { normalizeServiceId, updateServiceById, updateServiceName, type DetectionData } from '@wuwatch/core';
import { UNLABELLED } from '../status/services.js';
import type { ScansByService, ServiceScans } from '../status/types.js';

/**
 * Two sightings of one detection attempt (a log cycle and its event 25/26) are counted once when they come from
 * different sources, agree on the outcome and lie within this window.
 */
export const SAME_ATTEMPT_WINDOW_MS = 10 * 60_000;

/**
 * Update services kept per machine. A machine scans a handful (WSUS or Windows Update, Microsoft Update, Store,
 * flighting); the IDs are agent-supplied, so a buggy or hostile agent sending a new one per scan must not grow the
 * stored map without end.
 */
export const MAX_SERVICES = 16;

/** Scans of a service not seen before. */
function noScans(name: string | null): ServiceScans {
  return {
    name,
    lastAt: null,
    outcome: null,
    hresult: null,
    source: null,
    failures: 0,
    firstFailureAt: null,
    lastSuccessAt: null,
  };
}

function ms(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}

/** The counted attempt's effect on one service's scans (the rules the projection always had, per service). */
function applyToService(s: ServiceScans, at: Date, d: DetectionData): ServiceScans {
  const t = at.getTime();
  const last = ms(s.lastAt);
  // The same cycle re-read from the log after an agent crash (at-least-once at the tail's crash boundary)
  // arrives with a new seq but the same source and end time: it is one attempt.
  if (last === t && s.source === d.source) return s;
  if (
    last !== null &&
    s.source !== null &&
    s.source !== d.source &&
    s.outcome === d.outcome &&
    Math.abs(t - last) <= SAME_ATTEMPT_WINDOW_MS
  ) {
    return s;
  }
  const iso = at.toISOString();
  // Events can arrive out of order across sources; an older attempt must not overwrite a newer verdict.
  if (last !== null && t < last) {
    const lastSuccess = ms(s.lastSuccessAt);
    if (d.outcome === 'succeeded' && (lastSuccess === null || t > lastSuccess)) return { ...s, lastSuccessAt: iso };
    return s;
  }
  if (d.outcome === 'succeeded') {
    return {
      ...s,
      lastAt: iso,
      outcome: 'succeeded',
      hresult: null,
      source: d.source,
      failures: 0,
      firstFailureAt: null,
      lastSuccessAt: iso,
    };
  }
  return {
    ...s,
    lastAt: iso,
    outcome: 'failed',
    hresult: d.hresult,
    source: d.source,
    failures: s.failures + 1,
    firstFailureAt: s.firstFailureAt ?? iso,
  };
}

/** Folds one detection into the scans of the service it ran against; returns the same object when nothing changed. */
export function applyDetection(scans: ScansByService, at: Date, d: DetectionData): ScansByService {
  // A scan Windows cancelled (a newer interactive search, the service stopping) is neither a failure nor a success:
  // it leaves the streak alone, and staleness keeps counting from the last success (issue 15).
  if (d.outcome === 'unfinished' || d.outcome === 'cancelled') return scans;
  const id = normalizeServiceId(d.serviceId) ?? UNLABELLED;
  const before = scans[id] ?? noScans(id === UNLABELLED ? null : updateServiceName(id, d.serviceName ?? null));
  const after = applyToService(before, at, d);
  if (after === before) return scans;
  return { ...(Object.hasOwn(scans, id) ? scans : roomForOne(scans)), [id]: after };
}

/**
 * The scans with room for one more service ({@link MAX_SERVICES}): the least recently scanned service the catalogue
 * does not know goes first (a known one, or the unnamed history, only when every other is known).
 */
function roomForOne(scans: ScansByService): ScansByService {
  const ids = Object.keys(scans);
  if (ids.length < MAX_SERVICES) return scans;
  const unknown = ids.filter((id) => id !== UNLABELLED && updateServiceById(id) === undefined);
  const candidates = unknown.length > 0 ? unknown : ids;
  const oldest = candidates.reduce((a, b) => ((ms(scans[b]!.lastAt) ?? 0) < (ms(scans[a]!.lastAt) ?? 0) ? b : a));
  return Object.fromEntries(Object.entries(scans).filter(([id]) => id !== oldest));
}
