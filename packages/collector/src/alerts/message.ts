/**
 * Notifications rendered for people (title, text, fields) and for machines (the versioned webhook body).
 * Error codes are explained from the catalogue so the reader does not have to look them up.
 */
import { describeHresult, httpReason } from '@wuwatch/core';
import * as z from 'zod';
import { humanizeTimes, peopleTime, peopleTimeZone } from '../time/people.js';
import { ALERT_RULES, ALERT_SEVERITIES, ALERT_STATES, NOTIFICATION_KINDS } from './types.js';
import type { Alert, AlertEvidence, Notification, NotificationKind, RenderedMessage } from './types.js';

const isoTime = z.iso.datetime({ offset: true });

/** Evidence as it appears in webhook bodies; unknown fields are kept so receivers survive additions. */
export const AlertEvidenceSchema = z.looseObject({
  hresult: z.string().optional(),
  hresultName: z.string().optional(),
  meaning: z.string().optional(),
  url: z.string().optional(),
  httpStatus: z.number().int().optional(),
  probeClass: z.string().optional(),
  since: isoTime.optional(),
  lastAt: isoTime.optional(),
  count: z.number().int().optional(),
  threshold: z.string().optional(),
  machineStatus: z.string().optional(),
  machinesPointing: z.number().int().optional(),
  orphan: z.boolean().optional(),
  graceful: z.boolean().optional(),
  service: z.string().optional(),
  update: z.string().optional(),
});

/**
 * The generic webhook body, version 1. `id` identifies the notification and is the same on every retry
 * (also sent as X-Wuwatch-Delivery): receivers deduplicate on it. `alert.id` identifies the alert episode.
 */
export const WebhookPayload = z.object({
  version: z.literal(1),
  id: z.string().min(1),
  kind: z.enum(NOTIFICATION_KINDS),
  sentAt: isoTime,
  alert: z.object({
    id: z.string().min(1),
    rule: z.enum(ALERT_RULES),
    subject: z.string().min(1),
    state: z.enum(ALERT_STATES),
    severity: z.enum(ALERT_SEVERITIES),
    title: z.string(),
    summary: z.string(),
    firstSeen: isoTime,
    lastSeen: isoTime,
    evidence: AlertEvidenceSchema,
    fix: z.string(),
    machines: z.array(z.object({ machineId: z.string(), hostname: z.string() })).optional(),
  }),
});

export type WebhookPayload = z.infer<typeof WebhookPayload>;

/**
 * The webhook body for a notification. `title` and `summary` are text for people, with times as people read them
 * (relative to the notification's creation, so every retry sends the same body); `firstSeen`, `lastSeen`, `sentAt`
 * and the evidence keep ISO 8601 for programs.
 */
export function toWebhookPayload(n: Notification, sentAt: Date, timeZone = peopleTimeZone()): WebhookPayload {
  const a = n.alert;
  return {
    version: 1,
    id: n.id,
    kind: n.kind,
    sentAt: sentAt.toISOString(),
    alert: {
      id: a.id,
      rule: a.rule,
      subject: a.subject,
      state: a.state,
      severity: a.severity,
      title: humanizeTimes(a.title, n.createdAt, timeZone),
      summary: humanizeTimes(a.summary, n.createdAt, timeZone),
      firstSeen: a.firingSince.toISOString(),
      lastSeen: a.lastSeen.toISOString(),
      evidence: a.evidence,
      fix: a.fix,
      ...(a.machines ? { machines: a.machines } : {}),
    },
  };
}

const KIND_LABELS: Readonly<Record<NotificationKind, string>> = {
  firing: 'FIRING',
  repeat: 'STILL FIRING',
  grown: 'MORE MACHINES',
  resolved: 'RESOLVED',
  test: 'TEST',
};

const RULE_LABELS: Readonly<Record<Alert['rule'], string>> = {
  detect_failures: 'consecutive detection failures (detect_failures)',
  detect_stale: 'no successful detection (detect_stale)',
  wsus_unreachable: 'WSUS server unreachable (wsus_unreachable)',
  agent_silent: 'agent silent (agent_silent)',
  install_failures: 'repeated install failures (install_failures)',
};

/** Machines listed in a field before "and N more". */
const FIELD_HOSTS = 30;

function codeFields(ev: AlertEvidence): { label: string; value: string }[] {
  if (!ev.hresult) return [];
  let name = ev.hresultName;
  let meaning = ev.meaning;
  if (name === undefined || meaning === undefined) {
    try {
      const d = describeHresult(ev.hresult);
      name ??= d.name;
      meaning ??= d.description;
    } catch {
      // Keep the raw code: a malformed value is still evidence worth showing.
    }
  }
  const fields = [{ label: 'Error', value: name ? `${ev.hresult} (${name})` : ev.hresult }];
  if (meaning) fields.push({ label: 'Meaning', value: meaning });
  return fields;
}

/**
 * The labelled facts of an alert, in reading order; times as people read them, relative to `now` (the
 * notification's creation) in `timeZone` (default: the collector's, time/people.ts).
 */
export function alertFields(
  a: Alert,
  now: Date = new Date(),
  timeZone = peopleTimeZone(),
): { label: string; value: string }[] {
  const ev = a.evidence;
  const fields: { label: string; value: string }[] = [];
  const machines = a.machines ?? [];
  if (a.subject.startsWith('wsus:')) {
    fields.push({ label: 'WSUS server', value: a.subject.slice('wsus:'.length) });
  } else if (machines[0]) {
    fields.push({ label: 'Machine', value: `${machines[0].hostname} (${machines[0].machineId})` });
  } else {
    fields.push({ label: 'Subject', value: a.subject });
  }
  fields.push({ label: 'Rule', value: RULE_LABELS[a.rule] }, { label: 'Severity', value: a.severity });
  fields.push(...codeFields(ev));
  if (ev.httpStatus !== undefined) {
    fields.push({ label: 'HTTP status', value: `${ev.httpStatus} ${httpReason(ev.httpStatus)}` });
  }
  if (ev.url && !a.subject.startsWith('wsus:')) fields.push({ label: 'URL', value: ev.url });
  if (ev.probeClass) fields.push({ label: 'Probe result', value: ev.probeClass });
  if (ev.since) fields.push({ label: 'Since', value: peopleTime(ev.since, now, timeZone) });
  if (ev.lastAt) fields.push({ label: 'Last observed', value: peopleTime(ev.lastAt, now, timeZone) });
  if (ev.service) fields.push({ label: 'Update service', value: ev.service });
  if (ev.update) fields.push({ label: 'Update', value: ev.update });
  if (ev.count !== undefined && (a.rule === 'detect_failures' || a.rule === 'install_failures')) {
    fields.push({ label: 'Failures in a row', value: String(ev.count) });
  }
  if (a.rule === 'wsus_unreachable' && machines.length > 0) {
    const hosts = machines.map((m) => m.hostname);
    const shown = hosts.slice(0, FIELD_HOSTS).join(', ');
    const more = hosts.length > FIELD_HOSTS ? ` and ${hosts.length - FIELD_HOSTS} more` : '';
    const pointing = ev.machinesPointing !== undefined ? ` of ${ev.machinesPointing}` : '';
    fields.push({ label: `Machines (${hosts.length}${pointing})`, value: shown + more });
  }
  if (ev.threshold) fields.push({ label: 'Threshold', value: ev.threshold });
  return fields;
}

/**
 * Renders a notification for people: title, summary and plain text (summary, facts, fix) and labelled fields, with
 * every time as people read it ("since 14:02 CET, 3 h ago", core's humanTime) relative to the notification's
 * creation, in `timeZone` (default: the collector's zone, time/people.ts). Stored alerts and JSON keep ISO.
 */
export function renderMessage(n: Notification, timeZone = peopleTimeZone()): RenderedMessage {
  const a = n.alert;
  const now = n.createdAt;
  const human = (text: string) => humanizeTimes(text, now, timeZone);
  const title = human(`[${KIND_LABELS[n.kind]}] ${a.title}`);
  const summary = human(a.summary);
  const fields = alertFields(a, now, timeZone);
  const lines: string[] = [];
  if (n.kind === 'test') lines.push('This is a test notification from wuwatch; no machine is affected.');
  if (n.kind === 'resolved') {
    const at = a.resolvedAt ?? n.createdAt;
    lines.push(`Resolved at ${peopleTime(at, now, timeZone)}: the condition has cleared. It was:`);
  }
  if (n.kind === 'repeat') lines.push(`Still firing since ${peopleTime(a.firingSince, now, timeZone)}.`);
  if (n.kind === 'grown') {
    lines.push(
      `Firing since ${peopleTime(a.firingSince, now, timeZone)}; it now affects ${a.machines?.length ?? 0} machines.`,
    );
  }
  lines.push(summary, '');
  for (const f of fields) lines.push(`${f.label}: ${f.value}`);
  const fix = human(a.fix);
  if (n.kind === 'resolved') {
    lines.push('', 'No action needed.');
  } else {
    lines.push('', 'Fix:', fix);
    fields.push({ label: 'Fix', value: fix });
  }
  return { title, summary, text: lines.join('\n'), fields };
}

/** A harmless notification for checking that a channel delivers (`kind: 'test'`). */
export function testNotification(now: Date): Notification {
  const alert: Alert = {
    id: 'alr_test',
    rule: 'wsus_unreachable',
    subject: 'wsus:https://wsus.example.invalid:8531',
    severity: 'info',
    title: 'wuwatch test notification',
    summary: 'If you can read this, wuwatch can deliver alerts through this channel.',
    evidence: { url: 'https://wsus.example.invalid:8531' },
    fix: 'Nothing to fix: this is a test.',
    machines: [],
    inhibitedBy: null,
    state: 'firing',
    firingSince: now,
    clearSince: null,
    goodObservations: 0,
    resolvedAt: null,
    lastSeen: now,
    lastNotifiedAt: null,
    lastNotifiedState: null,
  };
  return { id: `test-${now.getTime().toString(36)}`, kind: 'test', createdAt: now, alert };
}
