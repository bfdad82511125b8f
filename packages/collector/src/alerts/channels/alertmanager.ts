/**
 * Alertmanager compatibility, both directions: `alertmanager-webhook` POSTs Alertmanager's own webhook message
 * (version "4") so receivers written for Alertmanager work unchanged, and `alertmanager` pushes alerts to an
 * Alertmanager's `/api/v2/alerts` (firing with an `endsAt` in the future, resolved with `endsAt` = resolution
 * time), so teams that route everything through Alertmanager keep doing so.
 */
import { renderMessage } from '../message.js';
import { humanizeTimes } from '../../time/people.js';
import type { Notification } from '../types.js';
import {
  redactUrl,
  type AlertmanagerChannelConfig,
  type AlertmanagerWebhookChannelConfig,
  type Channel,
  type ChannelDeps,
} from './channel.js';
import { jsonPostChannel } from './http.js';

/** Alertmanager's zero time: what its webhook sends as `endsAt` while an alert fires. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** One alert as Alertmanager's webhook message carries it. */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager's webhook message, version 4. */
export interface AlertmanagerWebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** One element of the body of `POST /api/v2/alerts` (Alertmanager's `postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

/** `detect_failures` → `WuwatchDetectFailures`: Alertmanager's alertname convention. */
export function alertName(rule: string): string {
  return 'Wuwatch' + rule.replace(/(^|_)([a-z])/g, (_, _sep: string, c: string) => c.toUpperCase());
}

/** Label set of a notification's alert: stable identity only (values that change belong in annotations). */
export function alertLabels(n: Notification): Record<string, string> {
  const a = n.alert;
  const labels: Record<string, string> = {
    alertname: alertName(a.rule),
    rule: a.rule,
    severity: a.severity,
    subject: a.subject,
    service: 'wuwatch',
  };
  if (a.subject.startsWith('wsus:')) labels.wsus_url = a.subject.slice('wsus:'.length);
  else if (a.subject.startsWith('machine:')) {
    labels.machine_id = a.subject.slice('machine:'.length);
    const host = a.machines?.[0]?.hostname;
    if (host) labels.hostname = host;
  }
  if (n.kind === 'test') labels.test = 'true';
  return labels;
}

function annotations(n: Notification): Record<string, string> {
  const a = n.alert;
  // Annotations are text for people (times as people read them); labels and `since` stay machine-readable.
  const msg = renderMessage(n);
  const out: Record<string, string> = {
    summary: msg.summary,
    description: msg.text,
    title: humanizeTimes(a.title, n.createdAt),
    fix: humanizeTimes(a.fix, n.createdAt),
  };
  if (a.evidence.hresult) out.hresult = a.evidence.hresult;
  if (a.evidence.since) out.since = a.evidence.since;
  return out;
}

/** Prometheus' label-set fingerprint: FNV-1a 64 over the sorted name/value pairs, 16 hex digits. */
export function fingerprint(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const mix = (s: string) => {
    for (const b of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    h = ((h ^ 0xffn) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const name of Object.keys(labels).sort()) {
    mix(name);
    mix(labels[name]!);
  }
  return h.toString(16).padStart(16, '0');
}

/** Where a person looks at the alert's subject on the collector's dashboard, or '' without an external URL. */
function generatorUrl(n: Notification, externalUrl: string | undefined): string {
  if (!externalUrl) return '';
  const base = externalUrl.replace(/\/+$/, '');
  const s = n.alert.subject;
  if (s.startsWith('machine:')) return `${base}/machines/${encodeURIComponent(s.slice('machine:'.length))}`;
  if (s.startsWith('wsus:')) return `${base}/wsus`;
  return `${base}/`;
}

function isResolved(n: Notification): boolean {
  return n.kind === 'resolved';
}

function resolvedAt(n: Notification): string {
  return (n.alert.resolvedAt ?? n.createdAt).toISOString();
}

/** The Alertmanager webhook message (version 4) for one notification: one group holding one alert. */
export function alertmanagerWebhookMessage(
  n: Notification,
  opts: { receiver: string; externalUrl?: string | undefined },
): AlertmanagerWebhookMessage {
  const labels = alertLabels(n);
  const status = isResolved(n) ? 'resolved' : 'firing';
  const ann = annotations(n);
  // One wuwatch alert is one group, so the group key is stable from firing to resolved for that alert.
  const groupLabels = { alertname: labels.alertname!, subject: labels.subject! };
  return {
    receiver: opts.receiver,
    status,
    alerts: [
      {
        status,
        labels,
        annotations: ann,
        startsAt: n.alert.firingSince.toISOString(),
        endsAt: status === 'resolved' ? resolvedAt(n) : ZERO_TIME,
        generatorURL: generatorUrl(n, opts.externalUrl),
        fingerprint: fingerprint(labels),
      },
    ],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: ann,
    externalURL: opts.externalUrl ?? '',
    version: '4',
    groupKey: `{}:{${Object.entries(groupLabels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}}`,
    truncatedAlerts: 0,
  };
}

/**
 * The body of `POST /api/v2/alerts` for one notification. A firing alert gets `endsAt` = now + `ttlMs`, so
 * Alertmanager keeps it active until the next repeat renews it (without `endsAt` it would resolve it after its
 * own resolve_timeout, 5 min by default); a resolved one gets the resolution time, which resolves it at once.
 */
export function postableAlerts(
  n: Notification,
  opts: { now: Date; ttlMs: number; externalUrl?: string | undefined },
): PostableAlert[] {
  const url = generatorUrl(n, opts.externalUrl);
  // A test alert fires briefly and goes away by itself.
  const ttl = n.kind === 'test' ? Math.min(opts.ttlMs, 5 * 60_000) : opts.ttlMs;
  return [
    {
      labels: alertLabels(n),
      annotations: annotations(n),
      startsAt: n.alert.firingSince.toISOString(),
      endsAt: isResolved(n) ? resolvedAt(n) : new Date(opts.now.getTime() + ttl).toISOString(),
      ...(url ? { generatorURL: url } : {}),
    },
  ];
}

const JSON_HEADERS = { 'content-type': 'application/json', 'user-agent': 'wuwatch' };

/** A channel posting Alertmanager's webhook message. */
export function createAlertmanagerWebhookChannel(cfg: AlertmanagerWebhookChannelConfig): Channel {
  const name = cfg.name ?? 'alertmanager-webhook';
  return jsonPostChannel({
    name,
    type: 'alertmanager-webhook',
    url: cfg.url.reveal(),
    target: cfg.url.toString(),
    timeoutMs: cfg.timeoutMs,
    request: (n) => ({
      body: JSON.stringify(alertmanagerWebhookMessage(n, { receiver: name, externalUrl: cfg.externalUrl })),
      headers: { ...JSON_HEADERS, 'x-wuwatch-delivery': n.id },
    }),
  });
}

/** A channel pushing alerts to an Alertmanager's `/api/v2/alerts`. */
export function createAlertmanagerChannel(cfg: AlertmanagerChannelConfig, deps: ChannelDeps = {}): Channel {
  const clock = deps.clock ?? (() => new Date());
  const url = `${cfg.url.reveal().replace(/\/+$/, '')}/api/v2/alerts`;
  return jsonPostChannel({
    name: cfg.name ?? 'alertmanager',
    type: 'alertmanager',
    url,
    target: redactUrl(url),
    timeoutMs: cfg.timeoutMs,
    request: (n) => ({
      body: JSON.stringify(
        postableAlerts(n, { now: clock(), ttlMs: cfg.ttlMinutes * 60_000, externalUrl: cfg.externalUrl }),
      ),
      headers: JSON_HEADERS,
    }),
  });
}
