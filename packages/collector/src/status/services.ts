/**
 * Which detections count for a machine's status (issue 15): only scans against the update services that matter for
 * its policy (core's assessUpdateSources: the WSUS service for a WSUS-managed machine, Windows Update and Microsoft
 * Update for classes taken from Windows Update). Scans of other services (Microsoft Store, flighting, a Microsoft
 * Update scan on a WSUS-only machine) are context: shown, never deciding. Detections that name no service (agents
 * before issue 15, logs and events that do not say) count as they always did. Defined once here: the projection
 * derives the stored streak columns with it (so the status, the sweep and the alert rules read the same numbers),
 * and the status reasons, the API and the dashboard describe the context with it.
 */
import { normalizeServiceId, UPDATE_SERVICES, updateServiceName } from '@wuwatch/core';
import type { ScansByService, ServiceScans } from './types.js';

/** The key of detections that named no update service. */
export const UNLABELLED = '';

/** The all-zero service ID: "the default service", which is whatever the policy makes it (core catalogue). */
const DEFAULT_SERVICE = UPDATE_SERVICES.find((s) => s.key === 'default')!.id;

/** Services that never decide a machine's health, even before its policy is known: they do not carry OS updates. */
const NEVER_DECIDE: ReadonlySet<string> = new Set(
  UPDATE_SERVICES.filter((s) => s.key === 'store' || s.key === 'flighting').map((s) => s.id),
);

/**
 * True when scans of `serviceId` decide the machine's status. `matter` is the policy's servicesThatMatter, or null
 * while no policy is known (then every service but Store and flighting counts, so no failing update scan is hidden).
 */
export function serviceCounts(serviceId: string, matter: readonly string[] | null): boolean {
  if (serviceId === UNLABELLED || serviceId === DEFAULT_SERVICE) return true;
  if (matter === null) return !NEVER_DECIDE.has(serviceId);
  return matter.includes(serviceId);
}

/** {@link serviceCounts} for a detection event's data as sent (the ingest's timeline rollup asks before folding). */
export function detectionCounts(data: unknown, matter: readonly string[] | null): boolean {
  const raw = data !== null && typeof data === 'object' ? (data as { serviceId?: unknown }).serviceId : undefined;
  return serviceCounts(normalizeServiceId(typeof raw === 'string' ? raw : null) ?? UNLABELLED, matter);
}

/** A service's name for people: the catalogue's, else the log's label, else the ID. */
export function serviceLabel(serviceId: string, scans?: Pick<ServiceScans, 'name'>): string {
  if (serviceId === UNLABELLED) return 'an unnamed update service';
  return scans?.name ?? updateServiceName(serviceId, null) ?? serviceId;
}

function ms(iso: string | null | undefined): number {
  if (!iso) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

function dateOf(iso: string | null | undefined): Date | null {
  const t = ms(iso);
  return Number.isFinite(t) ? new Date(t) : null;
}

/**
 * The services whose scans count, each with its scans. Unnamed detections are dropped once a named, counting scan
 * is newer: they are an upgraded agent's history or a second sighting of a named scan by a source that does not say
 * the service. An unnamed failing streak is dropped only by a newer named success, though: the upgraded agent's
 * first named failure continues that streak (dropping it would restart the count at 1, "failing since now", and
 * resolve a detect_failures alert that fires again a few scans later); a success ends it, so it never stays stuck.
 */
export function countedScans(scans: ScansByService, matter: readonly string[] | null): [string, ServiceScans][] {
  const counted = Object.entries(scans).filter(([id]) => serviceCounts(id, matter));
  const named = counted.filter(([id]) => id !== UNLABELLED);
  const newestNamed = Math.max(...named.map(([, s]) => ms(s.lastAt)));
  const newestNamedSuccess = Math.max(...named.map(([, s]) => ms(s.lastSuccessAt)));
  return counted.filter(([id, s]) => {
    if (id !== UNLABELLED) return true;
    const supersededBy = s.outcome === 'failed' && s.failures > 0 ? newestNamedSuccess : newestNamed;
    return !(ms(s.lastAt) < supersededBy);
  });
}

/** The detection facts the status, the sweep and the alert rules read, derived from the counting scans. */
export interface CountedDetection {
  lastDetectionAt: Date | null;
  lastDetectionOutcome: 'succeeded' | 'failed' | null;
  lastDetectionHresult: string | null;
  lastDetectionSource: 'log' | 'event' | null;
  consecutiveDetectionFailures: number;
  firstFailureAt: Date | null;
  lastSuccessDetectionAt: Date | null;
}

/** The counting service with the longest failing streak (ties: the most recent), or null when none fails. */
function failingService(counted: readonly [string, ServiceScans][]): [string, ServiceScans] | null {
  let best: [string, ServiceScans] | null = null;
  for (const e of counted) {
    if (e[1].failures <= 0) continue;
    if (
      !best ||
      e[1].failures > best[1].failures ||
      (e[1].failures === best[1].failures && ms(e[1].lastAt) > ms(best[1].lastAt))
    ) {
      best = e;
    }
  }
  return best;
}

/**
 * The machine's detection facts: a failing counting service decides (its streak, first failure and code), so a
 * succeeding scan of another service never hides it; otherwise the latest counting scan. The last success is the
 * newest success of any counting service, or the Windows Update Agent's own last successful search (`wuaLastSearch`)
 * when newer.
 */
export function countedDetection(
  scans: ScansByService,
  matter: readonly string[] | null,
  wuaLastSearch: Date | null = null,
): CountedDetection {
  const counted = countedScans(scans, matter);
  const failing = failingService(counted);
  let latest: ServiceScans | null = null;
  for (const [, s] of counted) if (!latest || ms(s.lastAt) > ms(latest.lastAt)) latest = s;
  const pick = failing?.[1] ?? latest;
  // Every counting service's last success, superseded unnamed history included: a success is a success.
  const successes = Object.entries(scans).filter(([id]) => serviceCounts(id, matter));
  let lastSuccess = Math.max(...successes.map(([, s]) => ms(s.lastSuccessAt)));
  if (wuaLastSearch && wuaLastSearch.getTime() > lastSuccess) lastSuccess = wuaLastSearch.getTime();
  return {
    lastDetectionAt: dateOf(pick?.lastAt),
    lastDetectionOutcome: pick?.outcome ?? null,
    lastDetectionHresult: pick?.hresult ?? null,
    lastDetectionSource: pick?.source ?? null,
    consecutiveDetectionFailures: failing?.[1].failures ?? 0,
    firstFailureAt: dateOf(failing?.[1].firstFailureAt),
    lastSuccessDetectionAt: Number.isFinite(lastSuccess) ? new Date(lastSuccess) : null,
  };
}

/** One service's scans as the API and the dashboard list them. */
export interface ScanOverview {
  serviceId: string | null;
  name: string;
  /** True when this service's scans decide the status; false for context. */
  counts: boolean;
  outcome: 'succeeded' | 'failed' | null;
  at: string | null;
  hresult: string | null;
  failures: number;
  lastSuccessAt: string | null;
}

/** Every service the machine scanned, counting ones first, then by latest scan. */
export function scanOverview(scans: ScansByService, matter: readonly string[] | null): ScanOverview[] {
  const counting = new Set(countedScans(scans, matter).map(([id]) => id));
  return Object.entries(scans)
    .map(([id, s]) => ({
      serviceId: id === UNLABELLED ? null : id,
      name: serviceLabel(id, s),
      counts: counting.has(id),
      outcome: s.outcome,
      at: s.lastAt,
      hresult: s.hresult,
      failures: s.failures,
      lastSuccessAt: s.lastSuccessAt,
    }))
    .sort((a, b) => Number(b.counts) - Number(a.counts) || ms(b.at) - ms(a.at));
}

/** The service whose failing scans decide the status (null when none fails or the failing scans name no service). */
export function decidingService(scans: ScansByService, matter: readonly string[] | null): string | null {
  const failing = failingService(countedScans(scans, matter));
  return failing && failing[0] !== UNLABELLED ? serviceLabel(failing[0], failing[1]) : null;
}

function scanWords(s: ScanOverview): string {
  const when = s.at ?? 'an unknown time';
  if (s.outcome === 'succeeded') return `a ${s.name} scan succeeded at ${when}`;
  return `a ${s.name} scan failed at ${when}${s.hresult ? ` with ${s.hresult}` : ''}`;
}

/**
 * Scans of services that do not count, in words (newest first, at most three), or null when there are none:
 * "a Microsoft Store scan succeeded at …". Times are ISO: readers render them for people.
 */
export function contextScans(scans: ScansByService, matter: readonly string[] | null): string | null {
  const others = scanOverview(scans, matter).filter((s) => !s.counts && s.at !== null);
  if (others.length === 0) return null;
  return others.slice(0, 3).map(scanWords).join('; ');
}

/** The sentence a failing reason (and its alert) ends with when other services' scans are context. */
export function keepFailingSentence(context: string, service: string | null): string {
  return ` Other scans: ${context}, but the ${service ?? 'update'} scans keep failing.`;
}
