/** Sections of the machine page: the policy, the probe evidence, the reasons, the alerts, recent events. */
import type { ProbeData } from '@wuwatch/core';
import { probeBadge, statusBadge, timeCell } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { probeStepsChart, type ProbeStep } from '../svg.js';
import type { MachineAlert } from '../alerts.js';
import { serviceLabel } from '../../status/services.js';
import { humanizeTimes, peopleTime } from '../../time/people.js';

/** A status reason as stored in machines.status_reasons. */
export interface ReasonView {
  code: string;
  status: string;
  message: string;
  evidence?: Record<string, unknown>;
}

/** The probe as stored in machines.last_probe (ProbeData). */
export interface ProbeView {
  url: string;
  class: ProbeData['class'];
  ok: boolean;
  httpStatus: number | null;
  failedStep: string | null;
  hresult: string | null;
  message: string | null;
  steps: readonly ProbeStep[];
}

/** The policy assessment as stored in machines.policy_assessment. */
export interface AssessmentView {
  source: string;
  wsusUrl: string | null;
  statusUrl?: string | null;
  detectionIntervalHours?: number;
  problems: readonly { code: string; severity: string; message: string }[];
}

type PolicyValueRef = readonly [section: 'windowsUpdate' | 'au', name: string];

/** Values shown first because they decide where the machine looks for updates. */
const KEY_VALUES: readonly PolicyValueRef[] = [
  ['windowsUpdate', 'WUServer'],
  ['windowsUpdate', 'WUStatusServer'],
  ['au', 'UseWUServer'],
];
/** Shown when set: they change how or whether the machine detects. */
const OTHER_VALUES: readonly PolicyValueRef[] = [
  ['windowsUpdate', 'UpdateServiceUrlAlternate'],
  ['windowsUpdate', 'DisableDualScan'],
  ['windowsUpdate', 'DoNotConnectToWindowsUpdateInternetLocations'],
  ['windowsUpdate', 'DisableWindowsUpdateAccess'],
  ['au', 'NoAutoUpdate'],
  ['au', 'AUOptions'],
  ['au', 'DetectionFrequencyEnabled'],
  ['au', 'DetectionFrequency'],
];

function policyValue(policy: unknown, section: string, name: string): unknown {
  if (!policy || typeof policy !== 'object') return null;
  const values = (policy as Record<string, unknown>)[section];
  if (!values || typeof values !== 'object') return null;
  return (values as Record<string, unknown>)[name] ?? null;
}

function valueCell(v: unknown): SafeHtml {
  if (v === null || v === undefined) return html`<span class="muted">not set</span>`;
  return html`<code>${typeof v === 'string' ? v : JSON.stringify(v)}</code>`;
}

function valueRows(policy: unknown, refs: readonly PolicyValueRef[]): SafeHtml {
  return html`${refs.map(([s, name]) => html`<dt>${name}</dt><dd data-value="${name}">${valueCell(policyValue(policy, s, name))}</dd>`)}`;
}

function sourceText(a: AssessmentView): SafeHtml {
  if (a.source === 'wsus') return html`WSUS <code>${a.wsusUrl ?? '?'}</code>`;
  return html`${a.source === 'windows_update' ? 'Microsoft Update (no WSUS)' : 'disabled'}`;
}

const SEVERITY_BADGE: Readonly<Record<string, string>> = {
  error: 'st-wsus_unreachable',
  warning: 'warn',
  info: 'info',
};

/** The policy section: key registry values, the assessment, and its problems. */
export function policySection(policy: unknown, assessment: AssessmentView | null): SafeHtml {
  if (!policy) return html`<p class="muted">The agent has not reported a policy yet.</p>`;
  const others = OTHER_VALUES.filter(([s, n]) => policyValue(policy, s, n) !== null);
  const problems = assessment?.problems ?? [];
  const problemList = problems.length
    ? html`<h3>Problems in this policy</h3><ul class="reasons problems">${problems.map(
        (p) =>
          html`<li data-problem="${p.code}"><span class="badge ${SEVERITY_BADGE[p.severity] ?? 'info'}">${p.severity}</span> <code>${p.code}</code> ${p.message}</li>`,
      )}</ul>`
    : html`<p class="muted">No problems found in this policy.</p>`;
  return html`<dl class="facts policy">
${valueRows(policy, KEY_VALUES)}${valueRows(policy, others)}
${assessment ? html`<dt>Updates from</dt><dd>${sourceText(assessment)}</dd>` : null}
${assessment?.detectionIntervalHours ? html`<dt>Detection interval</dt><dd>${assessment.detectionIntervalHours} h</dd>` : null}
</dl>
${problemList}`;
}

/** The probe section: what was probed, how it ended, and each step's timing. */
export function probeSection(
  probe: ProbeView | null,
  at: Date | string | null,
  failingSince: Date | string | null,
  now: Date,
): SafeHtml {
  if (!probe) return html`<p class="muted">No probe result yet (machines using Microsoft Update are not probed).</p>`;
  return html`<div class="grid2"><dl class="facts probe">
<dt>URL</dt><dd><code>${probe.url}</code></dd>
<dt>Result</dt><dd>${probeBadge(probe)} <code>${probe.class}</code></dd>
${probe.httpStatus !== null ? html`<dt>HTTP status</dt><dd>${probe.httpStatus}</dd>` : null}
${probe.failedStep ? html`<dt>Failed step</dt><dd>${probe.failedStep}</dd>` : null}
${probe.hresult ? html`<dt>Equivalent code</dt><dd><code>${probe.hresult}</code></dd>` : null}
${probe.message ? html`<dt>Message</dt><dd>${probe.message}</dd>` : null}
<dt>Probed</dt><dd>${peopleTime(at, now)}</dd>
${failingSince ? html`<dt>Failing since</dt><dd>${peopleTime(failingSince, now)}</dd>` : null}
</dl>
<div><h3>Steps</h3>${probeStepsChart(probe.steps)}</div></div>`;
}

function evidenceLine(e: Record<string, unknown> | undefined, now: Date): SafeHtml | null {
  if (!e) return null;
  const bits: SafeHtml[] = [];
  if (typeof e.hresult === 'string') {
    bits.push(html`<code>${e.hresult}</code>${typeof e.hresultName === 'string' ? html` ${e.hresultName}` : null}`);
  }
  if (typeof e.httpStatus === 'number') bits.push(html`HTTP ${e.httpStatus}`);
  if (typeof e.url === 'string') bits.push(html`<code>${e.url}</code>`);
  if (typeof e.service === 'string') bits.push(html`${e.service}`);
  if (typeof e.since === 'string') bits.push(html`since ${peopleTime(e.since, now)}`);
  return bits.length ? html`<div class="muted">${bits.map((b, i) => html`${i ? ' · ' : ''}${b}`)}</div>` : null;
}

/** The status reasons, worst first, each with its evidence; times as people read them, relative to `now`. */
export function reasonsList(reasons: readonly ReasonView[], now: Date): SafeHtml {
  if (reasons.length === 0) return html`<p class="muted">No reasons recorded.</p>`;
  return html`<ul class="reasons">${reasons.map(
    (r) =>
      html`<li class="r-${r.status}" data-reason="${r.code}"><strong>${r.code}</strong> ${humanizeTimes(r.message, now)}${evidenceLine(r.evidence, now)}</li>`,
  )}</ul>`;
}

/** The alerts section: firing alerts when the hook returns some, else the reasons alert rules act on. */
export function alertsSection(alerts: readonly MachineAlert[], reasons: readonly ReasonView[], now: Date): SafeHtml {
  if (alerts.length > 0) {
    return html`<ul class="reasons alerts">${alerts.map(
      (a) =>
        html`<li data-alert="${a.id}"><span class="badge warn">${a.severity}</span> <strong>${humanizeTimes(a.title, now)}</strong> ${humanizeTimes(a.summary, now)} <span class="muted">(${a.rule}, ${a.state} since ${timeCell(a.firingSince, now)})</span></li>`,
    )}</ul>`;
  }
  const actionable = reasons.filter((r) => r.code !== 'HEALTHY' && r.code !== 'NO_DATA');
  if (actionable.length === 0) return html`<p class="muted alerts-none">Nothing to alert on.</p>`;
  // Until alerts are wired in, the reasons stand in for them, in one line each (the evidence is shown above).
  return html`<p class="muted">Conditions on this machine that alert rules act on:</p><ul class="reasons conditions">${actionable.map(
    (r) =>
      html`<li class="r-${r.status}" data-reason="${r.code}">${statusBadge(r.status)} <strong>${r.code}</strong> ${humanizeTimes(r.message, now)}</li>`,
  )}</ul>`;
}

/** A value of agent-supplied data as text: an object (where a scalar belongs) shows as its JSON. */
function shown(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** One event's data in a line (agent-controlled, so escaped like everything else). */
function eventSummary(kind: string, data: unknown): string {
  const d = (data ?? {}) as Record<string, unknown>;
  if (kind === 'detection') {
    // The service the scan ran against decides whether it counts (status/services.ts): show it.
    const service = typeof d.serviceId === 'string' ? serviceLabel(d.serviceId.toUpperCase(), { name: null }) : null;
    return `${String(d.outcome)}${d.hresult ? ` ${shown(d.hresult)}` : ''} (${String(d.source)})${service ? ` ${service}` : ''}`;
  }
  if (kind === 'install') {
    const what = [d.kb, d.title].filter((v) => typeof v === 'string').join(' ');
    return `${String(d.outcome)}${d.hresult ? ` ${shown(d.hresult)}` : ''}${what ? ` ${what}` : ''}`;
  }
  if (kind === 'probe') {
    return `${d.ok ? 'ok' : 'failed'} ${String(d.class)}${d.httpStatus ? ` HTTP ${shown(d.httpStatus)}` : ''} ${String(d.url)}`;
  }
  if (kind === 'policy') {
    return KEY_VALUES.map(([section, name]) => `${name}=${JSON.stringify(policyValue(d.policy, section, name))}`).join(
      ' ',
    );
  }
  const s = JSON.stringify(d);
  return s.length > 160 ? s.slice(0, 157) + '…' : s;
}

/** The most recent events, newest first. */
export function eventsTable(
  events: readonly { seq: unknown; time: Date | string; kind: string; data: unknown }[],
  now: Date,
): SafeHtml {
  if (events.length === 0) return html`<p class="muted">No events yet.</p>`;
  const rows = events.map(
    (e) =>
      html`<tr><td>${timeCell(e.time, now)}</td><td>${e.kind}</td><td><code>${eventSummary(e.kind, e.data)}</code></td></tr>`,
  );
  return html`<table class="events"><thead><tr><th>When</th><th>Kind</th><th>What</th></tr></thead><tbody>${rows}</tbody></table>`;
}
