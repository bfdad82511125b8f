/** The fleet page (`/`): counts per status, each linking to the filtered machine list, and their trend. */
import type { InstallItem } from '../../api/installs.js';
import type { WsusServerView } from '../../status/wsus.js';
import { STATUS_LABELS, STATUS_ORDER } from '../format.js';
import { href, html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';
import { statusHistoryChart, statusLegend, type HistoryPoint } from '../svg.js';
import { installFailuresPanel } from './machine-updates.js';
import { wsusRows } from './wsus.js';

/** What the fleet page shows. */
export interface SummaryView {
  now: Date;
  total: number;
  byStatus: Readonly<Record<string, number>>;
  history: readonly HistoryPoint[];
  /** Seconds between history samples (for the caption). */
  sampleSeconds: number;
  wsus: readonly WsusServerView[];
  /** The newest failed installs across the fleet (none when absent). */
  installFailures?: readonly InstallItem[];
}

/** Renders the fleet page. */
export function summaryPage(v: SummaryView): SafeHtml {
  const cards = STATUS_ORDER.map((s) => {
    const count = v.byStatus[s] ?? 0;
    return html`<a class="card c-${s}${count === 0 ? ' zero' : ''}" data-status="${s}" href="${href('/machines', { status: s })}"><span class="count">${count}</span><span class="label">${STATUS_LABELS[s]}</span></a>`;
  });
  const attention = v.wsus.filter((w) => w.state !== 'ok');
  const body = html`<section class="cards" aria-label="Machines per status">
<a class="card" data-status="total" href="/machines"><span class="count">${v.total}</span><span class="label">All machines</span></a>
${cards}
</section>
<h2>Machines per status over time</h2>
<div class="panel">${statusHistoryChart(v.history)}${statusLegend(v.history)}
<p class="muted">Sampled every ${v.sampleSeconds} s (${v.history.length} sample${v.history.length === 1 ? '' : 's'}; kept in the database, so a restart keeps the history).</p></div>
<h2>WSUS servers needing attention</h2>
${
  attention.length === 0
    ? html`<p class="muted">Every WSUS server the fleet points at answers.</p>`
    : html`<table class="wsus"><thead><tr><th>Server</th><th>State</th><th class="num">Machines</th><th class="num">Unreachable</th><th>Note</th></tr></thead>
<tbody>${wsusRows(attention, v.now, true)}</tbody></table>`
}
<h2>Latest install failures</h2>
<div class="panel install-failures">${installFailuresPanel(v.installFailures ?? [], v.now)}
<p class="muted">All of them: <code>wuwatch installs --failed</code> or <code>GET /v1/installs?failed=true</code>.</p></div>`;
  return page({ title: 'Fleet', body, now: v.now, active: 'fleet', signedIn: true, refreshSeconds: 30 });
}
