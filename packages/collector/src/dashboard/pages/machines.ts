/** The machines page: a filterable, searchable table, paged with the API's keyset cursor. */
import type { ProbeFacts } from '@wuwatch/core';
import { humanizeTimes } from '../../time/people.js';
import { isStatus, probeBadge, STATUS_LABELS, STATUS_ORDER, statusBadge, timeCell } from '../format.js';
import { href, html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

/** A machine as GET /v1/machines lists it (the columns the table shows). */
export interface MachineListItem {
  id: string;
  hostname: string;
  status: string;
  wsus_url: string | null;
  connected: boolean;
  last_seen: Date | string | null;
  last_detection_at: Date | string | null;
  last_detection_outcome: string | null;
  last_detection_hresult: string | null;
  consecutive_detection_failures: number;
  last_probe_ok: boolean | null;
  /** The last probe's class and HTTP status (null when never probed). */
  last_probe_class: ProbeFacts['class'] | null;
  last_probe_http_status: number | null;
  last_probe_at: Date | string | null;
  status_reasons: readonly { code: string; status: string; message: string }[] | null;
}

/** The filters of the page, as given in the query string. */
export interface MachineFilters {
  status?: string | undefined;
  q?: string | undefined;
  wsus?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** What the machines page shows. */
export interface MachinesView {
  now: Date;
  items: readonly MachineListItem[];
  nextCursor: string | null;
  filters: MachineFilters;
  /** Page size when the query string does not set one (left out of links when equal). */
  defaultLimit: number;
}

function detectionCell(m: MachineListItem, now: Date): SafeHtml {
  if (!m.last_detection_at) return html`<span class="muted">none yet</span>`;
  const outcome =
    m.last_detection_outcome === 'failed'
      ? html`<span class="badge st-wsus_unreachable">failed</span> <code>${m.last_detection_hresult ?? ''}</code>`
      : html`<span class="badge ${m.last_detection_outcome === 'succeeded' ? 'ok' : 'info'}">${m.last_detection_outcome ?? '?'}</span>`;
  return html`${outcome} ${timeCell(m.last_detection_at, now)}`;
}

function probeCell(m: MachineListItem, now: Date): SafeHtml {
  if (m.last_probe_ok === null || m.last_probe_class === null) return html`<span class="muted">—</span>`;
  const probe = { ok: m.last_probe_ok, class: m.last_probe_class, httpStatus: m.last_probe_http_status };
  return html`${probeBadge(probe)} ${timeCell(m.last_probe_at, now)}`;
}

function row(m: MachineListItem, now: Date): SafeHtml {
  const why = humanizeTimes(m.status_reasons?.[0]?.message ?? '', now);
  return html`<tr data-hostname="${m.hostname}" data-status="${m.status}">
<td class="host"><a href="/machines/${encodeURIComponent(m.id)}">${m.hostname}</a></td>
<td>${statusBadge(m.status)}</td>
<td>${m.wsus_url ? html`<code>${m.wsus_url}</code>` : html`<span class="muted">Microsoft Update</span>`}</td>
<td>${detectionCell(m, now)}</td>
<td class="num">${m.consecutive_detection_failures}</td>
<td>${probeCell(m, now)}</td>
<td>${timeCell(m.last_seen, now)}${m.connected ? null : html` <span class="muted">(offline)</span>`}</td>
<td class="why">${why}</td>
</tr>`;
}

/** Renders the machines page. */
export function machinesPage(v: MachinesView): SafeHtml {
  const f = v.filters;
  const limit = f.limit === v.defaultLimit ? undefined : f.limit;
  const base = { status: f.status, q: f.q, wsus: f.wsus, limit };
  const options = STATUS_ORDER.map(
    (s) => html`<option value="${s}"${f.status === s ? html` selected` : null}>${STATUS_LABELS[s]}</option>`,
  );
  const form = html`<form class="filters" method="get" action="/machines">
<label>Status<select name="status"><option value="">Any status</option>${options}</select></label>
<label>Hostname contains<input type="search" name="q" value="${f.q ?? ''}" placeholder="e.g. sql"></label>
<label>WSUS server<input type="text" name="wsus" value="${f.wsus ?? ''}" placeholder="http://wsus01:8530"></label>
${limit ? html`<input type="hidden" name="limit" value="${limit}">` : null}
<button type="submit" class="primary">Filter</button>
<a href="/machines">Clear</a>
</form>`;
  const table =
    v.items.length === 0
      ? html`<p class="empty">No machines match.</p>`
      : html`<table class="machines"><thead><tr><th>Hostname</th><th>Status</th><th>WSUS server</th><th>Last detection</th><th class="num">Failures in a row</th><th>Probe</th><th>Last seen</th><th>Why</th></tr></thead>
<tbody>${v.items.map((m) => row(m, v.now))}</tbody></table>`;
  const pager = html`<div class="pager">
${f.cursor ? html`<a href="${href('/machines', base)}">« First page</a>` : null}
${v.nextCursor ? html`<a rel="next" href="${href('/machines', { ...base, cursor: v.nextCursor })}">Next page »</a>` : null}
</div>`;
  const title = isStatus(f.status) ? `Machines: ${STATUS_LABELS[f.status]}` : 'Machines';
  return page({ title, body: html`${form}${table}${pager}`, now: v.now, active: 'machines', signedIn: true });
}
