/** The machine page: status and why, alerts, the last error explained with its fix, policy, probe, timeline, events. */
import { failingStreak, tryDescribeHresult, type UpdateSources } from '@wuwatch/core';
import type { InstallState } from '../../machines/installs.js';
import type { ScanOverview } from '../../status/services.js';
import { peopleTime } from '../../time/people.js';
import { statusBadge, timeCell } from '../format.js';
import { href, html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';
import { detectionTimelineChart, type TimelineDay } from '../svg.js';
import type { MachineAlert } from '../alerts.js';
import { explainCode } from './explain.js';
import {
  alertsSection,
  eventsTable,
  policySection,
  probeSection,
  reasonsList,
  type AssessmentView,
  type ProbeView,
  type ReasonView,
} from './machine-sections.js';
import { installsSection, scansSection, sourcesSection } from './machine-updates.js';

/** One machine as GET /v1/machines/:id returns it (the fields the page shows). */
export interface MachineDetail {
  id: string;
  hostname: string;
  status: string;
  status_changed_at: Date | string | null;
  status_reasons: readonly ReasonView[] | null;
  os_version: string | null;
  agent_version: string | null;
  mode: string | null;
  connected: boolean;
  first_seen: Date | string | null;
  last_seen: Date | string | null;
  wsus_url: string | null;
  policy: unknown;
  policy_assessment: AssessmentView | null;
  last_probe: ProbeView | null;
  last_probe_at: Date | string | null;
  probe_failing_since: Date | string | null;
  last_detection_at: Date | string | null;
  last_detection_outcome: string | null;
  last_detection_hresult: string | null;
  consecutive_detection_failures: number;
  last_success_detection_at: Date | string | null;
  /** core's assessUpdateSources for the machine (null until a policy arrived). */
  update_sources?: UpdateSources | null;
  /** Scans per update service, counting ones first (the API computes it). */
  scans?: readonly ScanOverview[];
  installs?: InstallState | null;
  recentEvents: readonly { seq: unknown; time: Date | string; kind: string; data: unknown }[];
  timeline: readonly TimelineDay[];
}

/** What the machine page shows. */
export interface MachineView {
  now: Date;
  machine: MachineDetail;
  alerts: readonly MachineAlert[];
  /** Days of detection timeline drawn. */
  days: number;
}

/** The codes worth explaining: the last detection's error, then the probe's if it differs. */
export function codesToExplain(m: MachineDetail): { code: string; context: string }[] {
  const out: { code: string; context: string }[] = [];
  if (m.last_detection_hresult && m.last_detection_outcome === 'failed') {
    out.push({ code: m.last_detection_hresult, context: 'last detection error' });
  }
  const p = m.last_probe;
  if (p && !p.ok && p.hresult && p.hresult !== m.last_detection_hresult) {
    out.push({ code: p.hresult, context: 'what the WSUS probe saw' });
  }
  return out;
}

function failingDays(timeline: readonly TimelineDay[]): SafeHtml {
  const days = timeline.filter((d) => d.failed > 0).reverse();
  if (days.length === 0) return html``;
  const rows = days.map(
    (d) =>
      html`<tr><td>${d.day}</td><td class="num">${d.succeeded}</td><td class="num">${d.failed}</td><td>${d.hresults.map(
        (c, i) => html`${i ? ', ' : ''}<code>${c}</code> ${tryDescribeHresult(c)?.name ?? ''}`,
      )}</td></tr>`,
  );
  return html`<table class="timeline"><thead><tr><th>Day</th><th class="num">Succeeded</th><th class="num">Failed</th><th>Error codes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Renders the machine page. */
export function machinePage(v: MachineView): SafeHtml {
  const m = v.machine;
  const reasons = m.status_reasons ?? [];
  const codes = codesToExplain(m);
  const streak = failingStreak({
    consecutiveDetectionFailures: m.consecutive_detection_failures,
    firstFailureAt: null,
    lastDetectionHresult: m.last_detection_hresult,
  });
  const body = html`<div class="panel"><dl class="facts header">
<dt>Status</dt><dd>${statusBadge(m.status)} <span class="muted">since ${peopleTime(m.status_changed_at, v.now)}</span></dd>
<dt>WSUS server</dt><dd>${m.wsus_url ? html`<a href="${href('/machines', { wsus: m.wsus_url })}"><code>${m.wsus_url}</code></a>` : html`<span class="muted">none (Microsoft Update)</span>`}</dd>
<dt>Last detection</dt><dd>${m.last_detection_outcome ?? 'none yet'} ${m.last_detection_hresult ? html`<code>${m.last_detection_hresult}</code>` : null} ${timeCell(m.last_detection_at, v.now)}${streak ? html` — <strong>${streak.count}</strong> failure${streak.count === 1 ? '' : 's'} in a row` : null}</dd>
<dt>Last success</dt><dd>${peopleTime(m.last_success_detection_at, v.now)}</dd>
<dt>Agent</dt><dd>${m.connected ? 'connected' : 'not connected'}, last seen ${timeCell(m.last_seen, v.now)}; ${m.agent_version ?? '?'} in ${m.mode ?? '?'} mode</dd>
<dt>OS</dt><dd>${m.os_version ?? '—'}</dd>
<dt>First seen</dt><dd>${peopleTime(m.first_seen, v.now)}</dd>
</dl></div>
<h2>Why this status</h2>
${reasonsList(reasons, v.now)}
<h2>Alerts</h2>
<section class="alerts">${alertsSection(v.alerts, reasons, v.now)}</section>
<h2>Last error explained</h2>
${codes.length ? codes.map((c, i) => explainCode(c.code, c.context, i === 0)) : html`<p class="muted">No error to explain: the last detection did not fail.</p>`}
<h2>Policy</h2>
<div class="panel">${policySection(m.policy, m.policy_assessment)}</div>
<h2>Where updates come from</h2>
<div class="panel sources">${sourcesSection(m.update_sources ?? null)}</div>
<h2>Scans by update service</h2>
<div class="panel">${scansSection(m.scans ?? [], v.now)}</div>
<h2>Installs</h2>
<div class="panel">${installsSection(m.installs, v.now)}</div>
<h2>Probe evidence</h2>
<div class="panel">${probeSection(m.last_probe, m.last_probe_at, m.probe_failing_since, v.now)}</div>
<h2>Detection timeline</h2>
<div class="panel">${detectionTimelineChart(m.timeline, v.now, v.days)}
<ul class="legend"><li><span class="swatch ok"></span>Succeeded</li><li><span class="swatch fail"></span>Failed (error codes above the bars)</li></ul>
${failingDays(m.timeline)}</div>
<h2>Recent events</h2>
${eventsTable(m.recentEvents.slice(0, 25), v.now)}`;
  return page({ title: m.hostname, body, now: v.now, active: 'machines', signedIn: true });
}
