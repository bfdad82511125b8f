/**
 * Alerts over time, pure: hysteresis (Prometheus `keep_firing_for`, Zabbix recovery), when to notify
 * (Alertmanager repeat_interval and send_resolved), silences, and the reconciliation that ties them together.
 * The caller loads open alerts, calls {@link reconcileAlerts}, stores the alerts and queues the notifications.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { DEFAULT_ALERT_RULES, conditionKey, wsusKey, type AlertRulesConfig } from './rules.js';
import { ALERT_RULES } from './types.js';
import type { Alert, AlertCondition, AlertState, Notification, NotificationKind } from './types.js';

const MINUTE = 60_000;

/** When a cleared condition counts as resolved. */
export interface HysteresisConfig {
  clearAfterMinutes: number;
  clearAfterGoodObservations: number;
}

/** The previous state as stored; `resolvedAt` is optional for callers that do not keep it. */
export type AlertStateInput = Pick<AlertState, 'state' | 'firingSince' | 'clearSince' | 'goodObservations'> & {
  resolvedAt?: Date | null;
};

/**
 * Next hysteresis state. A present condition fires (keeping `firingSince` while the alert is open, so a
 * flapping machine never re-fires); an absent one moves to `clearing` and resolves only after it stayed
 * clear for `clearAfterMinutes` or for `clearAfterGoodObservations` fresh observations. Pass
 * `freshObservation: false` for clock-only re-evaluations (sweeps) so they count time but not observations.
 * Returns null when there is no alert and no condition.
 */
export function nextAlertState(
  prev: AlertStateInput | null,
  conditionPresent: boolean,
  now: Date,
  cfg: HysteresisConfig = DEFAULT_ALERT_RULES.hysteresis,
  opts: { freshObservation?: boolean } = {},
): AlertState | null {
  if (prev === null || prev.state === 'resolved') {
    if (!conditionPresent) return prev === null ? null : { ...prev, resolvedAt: prev.resolvedAt ?? null };
    return { state: 'firing', firingSince: now, clearSince: null, goodObservations: 0, resolvedAt: null };
  }
  if (conditionPresent) {
    return { state: 'firing', firingSince: prev.firingSince, clearSince: null, goodObservations: 0, resolvedAt: null };
  }
  const wasClearing = prev.state === 'clearing' && prev.clearSince !== null;
  const clearSince = wasClearing && prev.clearSince ? prev.clearSince : now;
  const good = (wasClearing ? prev.goodObservations : 0) + (opts.freshObservation === false ? 0 : 1);
  const clearFor = now.getTime() - clearSince.getTime();
  const resolved = good >= cfg.clearAfterGoodObservations || clearFor >= cfg.clearAfterMinutes * MINUTE;
  return {
    state: resolved ? 'resolved' : 'clearing',
    firingSince: prev.firingSince,
    clearSince,
    goodObservations: good,
    resolvedAt: resolved ? now : null,
  };
}

/** A silence: mutes the alerts it matches (every given matcher must match) until `until`. */
export const Silence = z
  .object({
    id: z.string().optional(),
    rule: z.enum(ALERT_RULES).optional(),
    machineId: z.string().min(1).optional(),
    wsusUrl: z.string().min(1).optional(),
    startsAt: z.coerce.date().optional(),
    until: z.coerce.date(),
    comment: z.string().max(1000).optional(),
  })
  .strict()
  .refine((s) => s.rule !== undefined || s.machineId !== undefined || s.wsusUrl !== undefined, {
    message: 'a silence needs at least one of rule, machineId or wsusUrl',
  });

export type Silence = z.infer<typeof Silence>;

type SilenceTarget = Pick<Alert, 'rule' | 'subject' | 'machines' | 'evidence'>;

/**
 * True when the silence is active at `now` and matches the alert: by rule; by machine id (its own alerts, and
 * a WSUS alert whose only machines are that one, such as its orphan pointer); by WSUS URL (the server's alert
 * and the alerts of machines pointing at it), URLs compared in normalised form.
 */
export function matchesSilence(alert: SilenceTarget, silence: Silence, now: Date): boolean {
  if (now.getTime() >= silence.until.getTime()) return false;
  if (silence.startsAt && now.getTime() < silence.startsAt.getTime()) return false;
  if (silence.rule !== undefined && alert.rule !== silence.rule) return false;
  if (silence.machineId !== undefined) {
    const machines = alert.machines ?? [];
    const own = alert.subject === `machine:${silence.machineId}`;
    const onlyThat = machines.length > 0 && machines.every((m) => m.machineId === silence.machineId);
    if (!own && !onlyThat) return false;
  }
  if (silence.wsusUrl !== undefined) {
    const key = wsusKey(silence.wsusUrl);
    const url = alert.evidence.url;
    if (alert.subject !== `wsus:${key}` && (url === undefined || wsusKey(url) !== key)) return false;
  }
  return true;
}

type NotifyTarget = SilenceTarget &
  Pick<Alert, 'state' | 'lastNotifiedAt' | 'lastNotifiedState' | 'lastNotifiedMachines'> & {
    inhibitedBy?: string | null;
  };

/**
 * What to notify now, if anything: `firing` once when it fires, `repeat` every `repeatIntervalMinutes` while
 * it keeps firing, `grown` when a grouped alert names more machines than last notified (at most every
 * `groupIntervalMinutes`), `resolved` once if its firing was notified. A muted alert (silenced or inhibited) sends
 * nothing; when the mute ends its current state is notified if it differs from the last one sent.
 * Nothing is sent while `clearing`: it is neither news nor still certain.
 */
export function shouldNotify(
  alert: NotifyTarget,
  now: Date,
  repeatIntervalMinutes: number = DEFAULT_ALERT_RULES.repeatIntervalMinutes,
  silences: readonly Silence[] = [],
  groupIntervalMinutes: number = DEFAULT_ALERT_RULES.groupIntervalMinutes,
): 'firing' | 'repeat' | 'grown' | 'resolved' | null {
  if (alert.inhibitedBy) return null;
  if (silences.some((s) => matchesSilence(alert, s, now))) return null;
  if (alert.state === 'resolved') return alert.lastNotifiedState === 'firing' ? 'resolved' : null;
  if (alert.state !== 'firing') return null;
  if (alert.lastNotifiedState !== 'firing' || alert.lastNotifiedAt === null) return 'firing';
  const since = now.getTime() - alert.lastNotifiedAt.getTime();
  if (since >= repeatIntervalMinutes * MINUTE) return 'repeat';
  // A dead WSUS server first seen failing from two machines may turn out to strand two hundred: say so.
  const count = alert.machines?.length ?? 0;
  const told = alert.lastNotifiedMachines;
  if (told !== null && told !== undefined && count > told && since >= groupIntervalMinutes * MINUTE) return 'grown';
  return null;
}

/** Stable id of one alert episode (same rule, subject and firing start give the same id). */
export function alertId(rule: string, subject: string, firingSince: Date): string {
  const hash = createHash('sha256').update(`${rule}\n${subject}\n${firingSince.toISOString()}`).digest('hex');
  return `alr_${hash.slice(0, 20)}`;
}

/** A notification for an alert; the id is derived once here and must be reused for every delivery retry. */
export function makeNotification(alert: Alert, kind: NotificationKind, now: Date): Notification {
  return { id: `${alert.id}-${kind}-${now.getTime().toString(36)}`, kind, createdAt: now, alert };
}

/** What {@link reconcileAlerts} needs. */
export interface ReconcileInput {
  /** Open alerts (firing, clearing) and resolved ones whose firing was notified but whose resolution was not. */
  alerts: readonly Alert[];
  conditions: readonly AlertCondition[];
  now: Date;
  config?: Pick<AlertRulesConfig, 'hysteresis' | 'repeatIntervalMinutes'> &
    Partial<Pick<AlertRulesConfig, 'groupIntervalMinutes'>>;
  silences?: readonly Silence[];
  /** Whether new data arrived for a subject since the last evaluation (see subjectsForMachine); default: yes. */
  isFresh?: (subject: string) => boolean;
}

/** Updated alerts (to store) and notifications (to queue, in the same transaction). */
export interface ReconcileResult {
  alerts: Alert[];
  notifications: Notification[];
}

function fromCondition(c: AlertCondition, st: AlertState, now: Date, prev: Alert | undefined): Alert {
  return {
    id: prev?.id ?? alertId(c.rule, c.subject, st.firingSince),
    rule: c.rule,
    subject: c.subject,
    severity: c.severity,
    title: c.title,
    summary: c.summary,
    evidence: c.evidence,
    fix: c.fix,
    ...(c.machines ? { machines: c.machines } : {}),
    inhibitedBy: c.inhibitedBy ?? null,
    ...st,
    lastSeen: now,
    lastNotifiedAt: prev?.lastNotifiedAt ?? null,
    lastNotifiedState: prev?.lastNotifiedState ?? null,
    lastNotifiedMachines: prev?.lastNotifiedMachines ?? null,
  };
}

/** Applies one evaluation's conditions to the stored alerts: hysteresis, then notifications. */
export function reconcileAlerts(input: ReconcileInput): ReconcileResult {
  const { now } = input;
  const config = input.config ?? DEFAULT_ALERT_RULES;
  const open = new Map(input.alerts.filter((a) => a.state !== 'resolved').map((a) => [conditionKey(a), a]));
  const updated = new Map<string, Alert>();
  for (const c of input.conditions) {
    const prev = open.get(conditionKey(c));
    const st = nextAlertState(prev ?? null, true, now, config.hysteresis);
    if (st) updated.set(prev?.id ?? alertId(c.rule, c.subject, st.firingSince), fromCondition(c, st, now, prev));
  }
  for (const a of input.alerts) {
    if (updated.has(a.id)) continue;
    if (a.state === 'resolved') {
      updated.set(a.id, a);
      continue;
    }
    const fresh = input.isFresh ? input.isFresh(a.subject) : true;
    const st = nextAlertState(a, false, now, config.hysteresis, { freshObservation: fresh });
    // The condition is gone, so whatever inhibited it no longer explains it.
    if (st) updated.set(a.id, { ...a, ...st, inhibitedBy: null });
  }
  const notifications: Notification[] = [];
  const alerts = [...updated.values()].map((a) => {
    const kind = shouldNotify(
      a,
      now,
      config.repeatIntervalMinutes,
      input.silences ?? [],
      config.groupIntervalMinutes ?? DEFAULT_ALERT_RULES.groupIntervalMinutes,
    );
    if (kind === null) return a;
    const next: Alert = {
      ...a,
      lastNotifiedAt: now,
      lastNotifiedState: kind === 'resolved' ? 'resolved' : 'firing',
      lastNotifiedMachines: kind === 'resolved' ? (a.lastNotifiedMachines ?? null) : (a.machines?.length ?? null),
    };
    notifications.push(makeNotification(next, kind, now));
    return next;
  });
  return { alerts, notifications };
}
