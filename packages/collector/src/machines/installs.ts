/**
 * Folding `install` events into a machine's install history (pure): the last installs (any outcome) and, per update,
 * how many times it failed since it last installed. One install seen by the log and by event 19/20 counts once.
 */
import { normalizeServiceId, type InstallData } from '@wuwatch/core';
import { SAME_ATTEMPT_WINDOW_MS } from './detections.js';

/** One install as the machine reported it (ISO time; stored as jsonb). */
export interface InstallRecord {
  at: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  title: string | null;
  kb: string | null;
  updateId: string | null;
  hresult: string | null;
  serviceId: string | null;
  /** `log` (a log line) or `event` (event 19/20). */
  source: 'log' | 'event';
}

/** One update's install attempts: failures since its last successful install. */
export interface UpdateInstalls {
  title: string | null;
  kb: string | null;
  updateId: string | null;
  /** Failed installs in a row (a success resets it; a cancelled install changes nothing). */
  failures: number;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  /** Code of the latest failure. */
  hresult: string | null;
  /** The latest counted attempt, its outcome and source (to count one attempt seen twice once). */
  lastAt: string;
  lastOutcome: 'succeeded' | 'failed';
  lastSource: 'log' | 'event';
}

/** A machine's install history. */
export interface InstallState {
  /** The newest installs first, at most {@link RECENT_INSTALLS}. */
  recent: InstallRecord[];
  /** Per update, keyed by update ID, else KB, else title (installs that name no update are only listed). */
  updates: Record<string, UpdateInstalls>;
}

/** Installs kept per machine for the listing. */
export const RECENT_INSTALLS = 10;
/** Updates whose attempts are tracked per machine (the least recent without failures go first). */
export const TRACKED_UPDATES = 50;

/** An empty install history. */
export function noInstalls(): InstallState {
  return { recent: [], updates: {} };
}

function keyOf(r: Pick<InstallRecord, 'updateId' | 'kb' | 'title'>): string {
  return r.updateId ?? r.kb ?? r.title ?? '';
}

/** The tracked update this install is about: same update ID, else same KB, else same title. */
export function findUpdate(updates: Record<string, UpdateInstalls>, r: InstallRecord): string | null {
  // Own keys only: the key is agent-supplied text, and `in` would find "toString" or "__proto__" on the prototype.
  if (Object.hasOwn(updates, keyOf(r))) return keyOf(r);
  for (const [key, u] of Object.entries(updates)) {
    if ((r.updateId && u.updateId === r.updateId) || (r.kb && u.kb === r.kb) || (r.title && u.title === r.title)) {
      return key;
    }
  }
  return null;
}

function sameAttempt(u: UpdateInstalls, r: InstallRecord): boolean {
  return (
    u.lastSource !== r.source &&
    u.lastOutcome === r.outcome &&
    Math.abs(Date.parse(u.lastAt) - Date.parse(r.at)) <= SAME_ATTEMPT_WINDOW_MS
  );
}

function trim(updates: Record<string, UpdateInstalls>): Record<string, UpdateInstalls> {
  const entries = Object.entries(updates);
  if (entries.length <= TRACKED_UPDATES) return updates;
  // Keep failing updates first, then the most recent.
  entries.sort(
    ([, a], [, b]) => Number(b.failures > 0) - Number(a.failures > 0) || Date.parse(b.lastAt) - Date.parse(a.lastAt),
  );
  return Object.fromEntries(entries.slice(0, TRACKED_UPDATES));
}

/** The record an `install` event stands for. */
export function installRecord(at: Date, d: InstallData): InstallRecord {
  return {
    at: at.toISOString(),
    outcome: d.outcome,
    title: d.title ?? null,
    kb: d.kb ?? null,
    updateId: normalizeServiceId(d.updateId) ?? d.updateId ?? null,
    hresult: d.hresult ?? null,
    serviceId: normalizeServiceId(d.serviceId) ?? null,
    // Log findings carry their line; event-channel ones a record id instead.
    source: typeof d.recordId === 'number' ? 'event' : 'log',
  };
}

/** Folds one install into the history; returns the same object when it was a second sighting of a counted one. */
export function applyInstall(s: InstallState, r: InstallRecord): InstallState {
  const key = findUpdate(s.updates, r);
  const u = key === null ? undefined : s.updates[key];
  if (r.outcome === 'cancelled') {
    // Shown, never counted: Windows stopped the install (a reboot, a newer request), the update did not fail.
    return { ...s, recent: [r, ...s.recent].slice(0, RECENT_INSTALLS) };
  }
  if (keyOf(r) === '') {
    // Shown, never counted: an install that names no update (a multi-update cycle's warning, an "Install call
    // complete (failed = N)" summary) may be any update, so unnamed failures are no "one update, N times in a row".
    const recent = [r, ...s.recent].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, RECENT_INSTALLS);
    return { ...s, recent };
  }
  if (u && sameAttempt(u, r)) {
    // The second sighting may name what the first did not (event 20 has the title, the log line the update ID).
    const merged: UpdateInstalls = {
      ...u,
      title: u.title ?? r.title,
      kb: u.kb ?? r.kb,
      updateId: u.updateId ?? r.updateId,
    };
    const recent = s.recent.map((x) =>
      x.outcome === r.outcome && keyOf(x) === keyOf(u)
        ? { ...x, title: x.title ?? r.title, kb: x.kb ?? r.kb, updateId: x.updateId ?? r.updateId }
        : x,
    );
    return { recent, updates: Object.fromEntries([...Object.entries(s.updates), [key!, merged]]) };
  }
  // An attempt older than the update's latest one only joins the listing: it cannot change the streak.
  const older = u !== undefined && Date.parse(r.at) < Date.parse(u.lastAt);
  const recent = [r, ...s.recent].sort((a, b) => Date.parse(b.at) - Date.parse(a.at)).slice(0, RECENT_INSTALLS);
  if (older) return { ...s, recent };
  const base = {
    title: r.title ?? u?.title ?? null,
    kb: r.kb ?? u?.kb ?? null,
    updateId: r.updateId ?? u?.updateId ?? null,
    lastAt: r.at,
    lastOutcome: r.outcome,
    lastSource: r.source,
  };
  const next: UpdateInstalls =
    r.outcome === 'succeeded'
      ? { ...base, failures: 0, firstFailureAt: null, lastFailureAt: u?.lastFailureAt ?? null, hresult: null }
      : {
          ...base,
          failures: (u?.failures ?? 0) + 1,
          firstFailureAt: u?.firstFailureAt ?? r.at,
          lastFailureAt: r.at,
          hresult: r.hresult,
        };
  // Built from entries, never by assignment: `updates["__proto__"] = next` would set the prototype, not a key.
  const kept = Object.entries(s.updates).filter(([k]) => k !== key && k !== keyOf(next));
  const updates = Object.fromEntries([...kept, [keyOf(next), next]]) as Record<string, UpdateInstalls>;
  return { recent, updates: trim(updates) };
}

/**
 * The newest failed install in the listing (`recent`), or null. Indexed: the fleet's install-failure listing reads
 * machines newest failure first and stops after as many machines as rows it needs, which is exact only because this
 * is the newest failure the listing holds (installs-repository.ts).
 */
export function lastInstallFailure(s: InstallState): Date | null {
  return newest(s.recent.filter((r) => r.outcome === 'failed'));
}

/**
 * The newest install of any outcome in the listing (`recent`), or null. Indexed like lastInstallFailure, for the
 * same reason: the fleet's install listing reads machines newest install first and stops after `limit` machines.
 */
export function lastInstall(s: InstallState): Date | null {
  return newest(s.recent);
}

function newest(records: readonly InstallRecord[]): Date | null {
  const all = records.map((r) => Date.parse(r.at)).filter((t) => !Number.isNaN(t));
  return all.length ? new Date(Math.max(...all)) : null;
}
