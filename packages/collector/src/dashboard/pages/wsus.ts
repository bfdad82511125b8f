/** The WSUS servers page: per server, who points at it, who reaches it, when it last answered, orphan pointers. */
import type { WsusServerView } from '../../status/wsus.js';
import { timeCell } from '../format.js';
import { href, html, type SafeHtml } from '../html.js';
import { page } from '../layout.js';

const STATE_BADGE: Readonly<Record<WsusServerView['state'], string>> = {
  ok: 'ok',
  unreachable: 'st-wsus_unreachable',
  error: 'st-wsus_error',
  partial: 'warn',
  unprobed: 'info',
};

/** Table rows for servers; `compact` leaves out the time columns (the fleet page). */
export function wsusRows(servers: readonly WsusServerView[], now: Date, compact = false): SafeHtml {
  return html`${servers.map(
    (w) => html`<tr data-url="${w.url}"${w.orphan ? html` class="orphan"` : null}>
<td><a href="${href('/machines', { wsus: w.url })}"><code>${w.url}</code></a>${w.orphan ? html` <span class="badge orphan">orphan pointer</span>` : null}</td>
<td><span class="badge ${STATE_BADGE[w.state]}">${w.state}</span></td>
<td class="num">${w.machines}</td>
${compact ? null : html`<td class="num">${w.reachable}</td>`}
<td class="num">${w.unreachable}</td>
${compact ? null : html`<td>${timeCell(w.lastAnswerAt, now)}</td><td>${timeCell(w.lastProbeAt, now)}</td>`}
<td class="why">${w.note}</td>
</tr>`,
  )}`;
}

/** What the WSUS page shows. */
export interface WsusView {
  now: Date;
  servers: readonly WsusServerView[];
}

/** Renders the WSUS servers page. */
export function wsusPage(v: WsusView): SafeHtml {
  const orphans = v.servers.filter((w) => w.orphan).length;
  const body = html`<p class="muted">Every WSUS server named in a machine's policy, as probed from the machines themselves.
${orphans > 0 ? html`<strong>${orphans} orphan pointer${orphans === 1 ? '' : 's'}</strong>: a single machine still points at a server nobody can reach.` : null}</p>
${
  v.servers.length === 0
    ? html`<p>No machine points at a WSUS server.</p>`
    : html`<table class="wsus"><thead><tr><th>Server</th><th>State</th><th class="num">Machines</th><th class="num">Reachable</th><th class="num">Unreachable</th><th>Last answer</th><th>Last probe</th><th>Note</th></tr></thead>
<tbody>${wsusRows(v.servers, v.now)}</tbody></table>`
}`;
  return page({ title: 'WSUS servers', body, now: v.now, active: 'wsus', signedIn: true, refreshSeconds: 30 });
}
