/**
 * Charts as inline SVG, computed on the server from plain data: machines per status over time, a machine's
 * detections by day, a probe's step timings. Pure functions (data in, SafeHtml out) so they are unit-tested
 * without a browser; labels go through `html` like everything else.
 */
import type { MachineStatus } from '../status/types.js';
import { STATUS_COLORS, STATUS_LABELS, STATUS_ORDER, formatTime } from './format.js';
import { html, type SafeHtml } from './html.js';

/** One sample of the fleet summary. */
export interface HistoryPoint {
  at: Date;
  byStatus: Readonly<Record<string, number>>;
}

/** One day of a machine's detection timeline (as GET /v1/machines/:id returns it). */
export interface TimelineDay {
  day: string;
  succeeded: number;
  failed: number;
  hresults: readonly string[];
}

/** One step of a WSUS probe. */
export interface ProbeStep {
  step: string;
  ms: number;
  ok: boolean;
}

/**
 * Bottom to top of the stacked status chart: healthy at the bottom, then the dashboard's order reversed, so the worst
 * statuses end up on top. Derived, so a new status needs no edit here.
 */
const STACK_ORDER: readonly MachineStatus[] = ['healthy', ...STATUS_ORDER.filter((s) => s !== 'healthy').reverse()];

const OK_COLOR = '#2e8540';
const FAIL_COLOR = '#c62828';
const GRID_COLOR = '#d9dee3';

/** Rounds to one decimal so the markup stays short and stable. */
function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** Integer axis ticks from 0 to a round maximum at or above `max` (at most about five ticks). */
export function axisTicks(max: number): number[] {
  const raw = Math.max(1, max) / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow);
  const top = Math.max(step, Math.ceil(Math.max(max, 1) / step) * step);
  const out: number[] = [];
  for (let v = 0; v <= top; v += step) out.push(v);
  return out;
}

/** `HH:MM` (UTC), with seconds when the chart spans less than ten minutes. */
function clock(d: Date, spanMs: number): string {
  return d.toISOString().slice(11, spanMs < 600_000 ? 19 : 16);
}

function yAxis(ticks: number[], x0: number, x1: number, y: (v: number) => number): SafeHtml {
  return html`${ticks.map(
    (t) =>
      html`<line x1="${n(x0)}" x2="${n(x1)}" y1="${n(y(t))}" y2="${n(y(t))}" stroke="${GRID_COLOR}" stroke-width="1"/><text x="${n(x0 - 6)}" y="${n(y(t) + 4)}" text-anchor="end" class="axis">${t}</text>`,
  )}`;
}

/**
 * Stacked areas of machines per status over time: healthy at the bottom, the worst statuses on top where the eye
 * lands, so a status with one machine still shows as its own band. Statuses that were always 0 are left out;
 * a single sample is drawn across the whole width.
 */
export function statusHistoryChart(points: readonly HistoryPoint[], width = 760, height = 240): SafeHtml {
  if (points.length === 0) {
    return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="No samples yet"><text x="${n(width / 2)}" y="${n(height / 2)}" text-anchor="middle" class="axis">No samples yet</text></svg>`;
  }
  const left = 44;
  const right = 16;
  const top = 12;
  const bottom = 30;
  const stack = STACK_ORDER.filter((s) => points.some((p) => (p.byStatus[s] ?? 0) > 0));
  const totals = points.map((p) => stack.reduce((sum, s) => sum + (p.byStatus[s] ?? 0), 0));
  const ticks = axisTicks(Math.max(0, ...totals));
  const yTop = ticks[ticks.length - 1] ?? 1;
  const t0 = points[0]!.at.getTime();
  const t1 = points[points.length - 1]!.at.getTime();
  const span = Math.max(1, t1 - t0);
  const plotW = width - left - right;
  const xs =
    points.length === 1 ? [left, width - right] : points.map((p) => left + ((p.at.getTime() - t0) / span) * plotW);
  const samples = points.length === 1 ? [points[0]!, points[0]!] : points;
  const y = (v: number) => top + (1 - v / yTop) * (height - top - bottom);
  const below = samples.map(() => 0);
  const last = points[points.length - 1]!;
  const areas = stack.map((s) => {
    const lower = [...below];
    samples.forEach((p, i) => (below[i] = (below[i] ?? 0) + (p.byStatus[s] ?? 0)));
    const upperPts = xs.map((x, i) => `${n(x)},${n(y(below[i] ?? 0))}`);
    const lowerPts = xs.map((x, i) => `${n(x)},${n(y(lower[i] ?? 0))}`).reverse();
    const label = `${STATUS_LABELS[s]}: ${last.byStatus[s] ?? 0} now`;
    return html`<g class="series" data-status="${s}"><title>${label}</title><polygon fill="${STATUS_COLORS[s]}" fill-opacity="0.85" stroke="#fff" stroke-width="0.5" points="${[...upperPts, ...lowerPts].join(' ')}"/></g>`;
  });
  const first = points[0]!.at;
  const summary = `Machines per status from ${formatTime(first)} to ${formatTime(last.at)}`;
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${summary}">${yAxis(ticks, left, width - right, y)}${areas}<text x="${left}" y="${height - 8}" class="axis">${clock(first, t1 - t0)} UTC</text><text x="${width - right}" y="${height - 8}" text-anchor="end" class="axis">${clock(last.at, t1 - t0)} UTC</text></svg>`;
}

/** The legend of {@link statusHistoryChart}: the statuses it drew, top band first, with their colours. */
export function statusLegend(points: readonly HistoryPoint[]): SafeHtml {
  const shown = [...STACK_ORDER].reverse().filter((s) => points.some((p) => (p.byStatus[s] ?? 0) > 0));
  return html`<ul class="legend">${shown.map((s) => html`<li><span class="swatch st-${s}"></span>${STATUS_LABELS[s]}</li>`)}</ul>`;
}

/** The `days` calendar days (UTC, `YYYY-MM-DD`) ending with `now`'s day, oldest first. */
export function dayWindow(now: Date, days: number): string[] {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/**
 * Stacked bars of successful (green, bottom) and failed (red, top) detections per day, with the error codes of
 * failing days written above their bars. Days without detections are drawn empty so gaps show.
 */
export function detectionTimelineChart(
  timeline: readonly TimelineDay[],
  now: Date,
  days = 30,
  width = 760,
  height = 250,
): SafeHtml {
  const byDay = new Map(timeline.map((d) => [d.day, d]));
  const window = dayWindow(now, days);
  const left = 36;
  const right = 8;
  const top = 78; // room for the rotated error codes
  const bottom = 26;
  const max = Math.max(0, ...window.map((d) => (byDay.get(d)?.succeeded ?? 0) + (byDay.get(d)?.failed ?? 0)));
  const ticks = axisTicks(max);
  const yTop = ticks[ticks.length - 1] ?? 1;
  const slot = (width - left - right) / days;
  const barW = Math.max(2, slot * 0.7);
  const h = (v: number) => (v / yTop) * (height - top - bottom);
  const base = height - bottom;
  const bars = window.map((day, i) => {
    const d = byDay.get(day);
    const ok = d?.succeeded ?? 0;
    const failed = d?.failed ?? 0;
    const codes = d?.hresults ?? [];
    const bx = left + i * slot + (slot - barW) / 2;
    const cx = bx + barW / 2;
    const title = `${day}: ${ok} succeeded, ${failed} failed${codes.length ? ` (${codes.join(', ')})` : ''}`;
    const okBar =
      ok > 0
        ? html`<rect x="${n(bx)}" y="${n(base - h(ok))}" width="${n(barW)}" height="${n(h(ok))}" fill="${OK_COLOR}"/>`
        : null;
    const failBar =
      failed > 0
        ? html`<rect x="${n(bx)}" y="${n(base - h(ok + failed))}" width="${n(barW)}" height="${n(h(failed))}" fill="${FAIL_COLOR}"/>`
        : null;
    const label =
      failed > 0 && codes.length > 0
        ? html`<text class="code" transform="translate(${n(cx + 3)} ${n(base - h(ok + failed) - 4)}) rotate(-90)">${codes.slice(0, 2).join(' ')}${codes.length > 2 ? ' …' : ''}</text>`
        : null;
    return html`<g class="day" data-day="${day}" data-succeeded="${ok}" data-failed="${failed}"><title>${title}</title>${okBar}${failBar}${label}</g>`;
  });
  const mid = window[Math.floor(days / 2)] ?? '';
  const xLabels = html`<text x="${left}" y="${height - 8}" class="axis">${window[0]?.slice(5) ?? ''}</text><text x="${n(left + Math.floor(days / 2) * slot)}" y="${height - 8}" class="axis">${mid.slice(5)}</text><text x="${width - right}" y="${height - 8}" text-anchor="end" class="axis">${window[days - 1]?.slice(5) ?? ''}</text>`;
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Detections per day over the last ${days} days">${yAxis(ticks, left, width - right, (v) => base - h(v))}${bars}${xLabels}</svg>`;
}

/** Horizontal bars of a probe's step timings (green for steps that passed, red for the one that failed). */
export function probeStepsChart(steps: readonly ProbeStep[], width = 520): SafeHtml {
  if (steps.length === 0) return html`<p class="muted">The probe recorded no steps.</p>`;
  const rowH = 24;
  const left = 64;
  const right = 72;
  const height = steps.length * rowH + 8;
  const max = Math.max(1, ...steps.map((s) => s.ms));
  const rows = steps.map((s, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(2, (s.ms / max) * (width - left - right));
    return html`<g class="step" data-step="${s.step}" data-ok="${s.ok ? 'yes' : 'no'}"><text x="${left - 8}" y="${y + 15}" text-anchor="end" class="axis">${s.step}</text><rect x="${left}" y="${y + 3}" width="${n(w)}" height="${rowH - 8}" fill="${s.ok ? OK_COLOR : FAIL_COLOR}"/><text x="${n(left + w + 6)}" y="${y + 15}" class="axis">${n(s.ms)} ms${s.ok ? '' : ' ✗'}</text></g>`;
  });
  return html`<svg class="chart probe" viewBox="0 0 ${width} ${height}" role="img" aria-label="Probe step timings">${rows}</svg>`;
}
