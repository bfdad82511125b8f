/** Display helpers shared by the pages and charts: status labels and colours, times, small badges. */
import { probeReach, type ProbeFacts, type ProbeReach } from '@wuwatch/core';
import { MACHINE_STATUSES, type MachineStatus } from '../status/types.js';
import { html, type SafeHtml } from './html.js';

/** Statuses in the order the dashboard shows them: worst first, healthy and unknown last. */
export const STATUS_ORDER: readonly MachineStatus[] = [
  'wsus_unreachable',
  'wsus_error',
  'detect_failing',
  'misconfigured',
  'detect_stale',
  'silent',
  'healthy',
  'unknown',
];

/** A person's name for each status. */
export const STATUS_LABELS: Readonly<Record<MachineStatus, string>> = {
  healthy: 'Healthy',
  wsus_unreachable: 'WSUS unreachable',
  wsus_error: 'WSUS error',
  detect_failing: 'Detection failing',
  detect_stale: 'Detection stale',
  misconfigured: 'Misconfigured',
  silent: 'Silent',
  unknown: 'Unknown',
};

/** Chart colours per status (the CSS badges use the same values). */
export const STATUS_COLORS: Readonly<Record<MachineStatus, string>> = {
  healthy: '#2e8540',
  wsus_unreachable: '#c62828',
  wsus_error: '#ef6c00',
  detect_failing: '#ad1457',
  detect_stale: '#b28704',
  misconfigured: '#6a1b9a',
  silent: '#546e7a',
  unknown: '#9e9e9e',
};

/** True for a known status string. */
export function isStatus(s: unknown): s is MachineStatus {
  return typeof s === 'string' && (MACHINE_STATUSES as readonly string[]).includes(s);
}

/** A coloured badge for a status (unknown strings are shown as they are, escaped). */
export function statusBadge(status: unknown): SafeHtml {
  if (!isStatus(status)) return html`<span class="badge">${String(status)}</span>`;
  return html`<span class="badge st-${status}">${STATUS_LABELS[status]}</span>`;
}

const PROBE_BADGES: Readonly<Record<ProbeReach, { css: string; label: string }>> = {
  ok: { css: 'ok', label: 'answers' },
  unreachable: { css: 'st-wsus_unreachable', label: 'unreachable' },
  server_error: { css: 'st-wsus_error', label: 'answers wrongly' },
  invalid_url: { css: 'st-misconfigured', label: 'invalid URL' },
};

/** A badge for a probe result, read with core's probeReach (the rule status, alerts and the WSUS view use). */
export function probeBadge(probe: ProbeFacts): SafeHtml {
  const b = PROBE_BADGES[probeReach(probe)];
  return html`<span class="badge ${b.css}">${b.label}</span>`;
}

function toDate(v: Date | string | null | undefined): Date | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2026-11-25 10:04:05 UTC`, or an em dash when absent. */
export function formatTime(v: Date | string | null | undefined): string {
  const d = toDate(v);
  return d
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : '—';
}

/** `4 min ago`, `3 h ago`, `2 d ago` relative to `now`, or an em dash when absent. */
export function ago(v: Date | string | null | undefined, now: Date): string {
  const d = toDate(v);
  if (!d) return '—';
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A `<time>` element with the absolute time as its title and the relative time as text. */
export function timeCell(v: Date | string | null | undefined, now: Date): SafeHtml {
  const d = toDate(v);
  if (!d) return html`—`;
  return html`<time datetime="${d.toISOString()}" title="${formatTime(d)}">${ago(d, now)}</time>`;
}
