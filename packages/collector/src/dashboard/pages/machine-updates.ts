/**
 * Sections of the machine page about where updates come from and how they go (issue 15): the update sources the
 * policy gives (core's assessUpdateSources), the scans per update service (which count for the status, which are
 * context), and the last installs with their errors explained; plus the fleet page's install-failures panel.
 */
import { tryDescribeHresult, type UpdateSources } from '@wuwatch/core';
import type { InstallItem } from '../../api/installs.js';
import { findUpdate, type InstallState } from '../../machines/installs.js';
import type { ScanOverview } from '../../status/services.js';
import { timeCell } from '../format.js';
import { html, type SafeHtml } from '../html.js';

const CLASS_WORDS: Readonly<Record<keyof UpdateSources['classes'], string>> = {
  quality: 'Quality updates',
  feature: 'Feature updates',
  driver: 'Driver updates',
  other: 'Other Microsoft products',
};
const SOURCE_WORDS: Readonly<Record<string, string>> = {
  wsus: 'WSUS',
  windows_update: 'Windows Update',
  none: 'nowhere',
};
const DUAL_SCAN_WORDS: Readonly<Record<UpdateSources['dualScan'], string>> = {
  active: 'on',
  possible: 'on if the machine runs Windows 10 1607 or later',
  disabled: 'turned off by DisableDualScan',
  superseded: 'replaced by the scan source policy',
  not_applicable: 'does not apply',
};
const SEVERITY_BADGE: Readonly<Record<string, string>> = {
  error: 'st-wsus_unreachable',
  warning: 'warn',
  info: 'info',
};

/** Where each class of update comes from, whether the machine bypasses WSUS, and the findings behind it. */
export function sourcesSection(s: UpdateSources | null): SafeHtml {
  if (!s) return html`<p class="muted">No policy reported yet, so the update sources are unknown.</p>`;
  const bypass =
    s.bypassesWsus === true
      ? html`<span class="badge warn">yes</span>`
      : s.bypassesWsus === null
        ? html`<span class="badge warn">depends on the Windows build</span>`
        : html`no`;
  const rows = (Object.keys(CLASS_WORDS) as (keyof UpdateSources['classes'])[]).map(
    (c) =>
      html`<tr data-class="${c}"><td>${CLASS_WORDS[c]}</td><td>${SOURCE_WORDS[s.classes[c].source] ?? s.classes[c].source}</td><td class="why">${s.classes[c].reason}</td></tr>`,
  );
  const findings = s.findings.length
    ? html`<ul class="reasons problems">${s.findings.map(
        (f) =>
          html`<li data-finding="${f.code}"><span class="badge ${SEVERITY_BADGE[f.severity] ?? 'info'}">${f.severity}</span> <code>${f.code}</code> ${f.message}</li>`,
      )}</ul>`
    : null;
  return html`<p class="sources-summary">${s.summary}</p>
<dl class="facts">
<dt>Managed by WSUS</dt><dd>${s.wsusManaged ? 'yes' : 'no'}</dd>
<dt>Scans Windows Update behind WSUS</dt><dd data-bypass="${String(s.bypassesWsus)}">${bypass}</dd>
<dt>Dual Scan</dt><dd>${DUAL_SCAN_WORDS[s.dualScan]}</dd>
</dl>
<table class="sources"><thead><tr><th>Class</th><th>Comes from</th><th>Why</th></tr></thead><tbody>${rows}</tbody></table>
${findings}`;
}

/** Scans per update service: the ones that decide the status first, the others marked as context. */
export function scansSection(scans: readonly ScanOverview[], now: Date): SafeHtml {
  if (scans.length === 0) return html`<p class="muted">No detection reported yet.</p>`;
  const rows = scans.map(
    (s) =>
      html`<tr data-service="${s.serviceId ?? ''}" class="${s.counts ? 'counts' : 'context'}"><td>${s.name}</td><td>${s.counts ? html`<strong>decides the status</strong>` : html`<span class="muted">context only</span>`}</td><td>${s.outcome ?? '—'}${s.hresult ? html` <code>${s.hresult}</code>` : null}</td><td>${timeCell(s.at, now)}</td><td class="num">${s.failures}</td><td>${timeCell(s.lastSuccessAt, now)}</td></tr>`,
  );
  return html`<table class="scans"><thead><tr><th>Update service</th><th>Counts</th><th>Last scan</th><th>When</th><th class="num">Failures in a row</th><th>Last success</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function errorCell(code: string | null): SafeHtml {
  if (!code) return html`<span class="muted">—</span>`;
  const d = tryDescribeHresult(code);
  return html`<code>${code}</code>${d ? html` ${d.name}<div class="muted">${d.description}</div>` : null}`;
}

/** The machine's last installs, newest first, each failure with its code explained and its count in a row. */
export function installsSection(installs: InstallState | null | undefined, now: Date): SafeHtml {
  const recent = installs?.recent ?? [];
  if (recent.length === 0) return html`<p class="muted">No install reported yet.</p>`;
  const rows = recent.map((r) => {
    const key = installs ? findUpdate(installs.updates, r) : null;
    const inARow = key === null ? 0 : (installs?.updates[key]?.failures ?? 0);
    return html`<tr data-outcome="${r.outcome}"><td>${timeCell(r.at, now)}</td><td>${r.outcome === 'failed' ? html`<span class="badge st-detect_failing">failed</span>` : r.outcome}</td><td>${r.kb ?? '—'}</td><td>${r.title ?? r.updateId ?? html`<span class="muted">not named</span>`}</td><td>${errorCell(r.hresult)}</td><td class="num">${r.outcome === 'failed' ? inARow : ''}</td></tr>`;
  });
  return html`<table class="installs"><thead><tr><th>When</th><th>Outcome</th><th>KB</th><th>Update</th><th>Error</th><th class="num">Failed in a row</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The fleet page's panel: the newest install failures across the fleet. */
export function installFailuresPanel(items: readonly InstallItem[], now: Date): SafeHtml {
  if (items.length === 0) return html`<p class="muted">No machine reported a failed install.</p>`;
  const rows = items.map(
    (i) =>
      html`<tr data-machine="${i.machineId}"><td>${timeCell(i.at, now)}</td><td class="host"><a href="/machines/${encodeURIComponent(i.machineId)}">${i.hostname}</a></td><td>${i.kb ?? '—'}</td><td>${i.title ?? i.updateId ?? html`<span class="muted">not named</span>`}</td><td><code>${i.hresult ?? '—'}</code> ${i.hresultName ?? ''}</td><td class="num">${i.failuresInARow}</td></tr>`,
  );
  return html`<table class="installs"><thead><tr><th>When</th><th>Machine</th><th>KB</th><th>Update</th><th>Error</th><th class="num">Failed in a row</th></tr></thead><tbody>${rows}</tbody></table>`;
}
