/**
 * Detection history: the run of consecutive failures since the last success, per source. The log and the events
 * see the same attempts, so counts are never added across sources: the source with the longer run speaks.
 * Within a source the input order is kept (log file position, event record order): log timestamps are not monotonic.
 */
import { describeHresult, parseHresult } from '@wuwatch/core';
import type { DiagnoseDetection } from './types.js';

/** One detection reduced to what the diagnosis needs. */
export interface Attempt {
  time: string | null;
  /** Epoch ms; log times without a zone are read as local time. */
  ms: number | null;
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'unfinished';
  hresult: string | null;
  source: 'log' | 'event';
}

/** Consecutive failures after the last success of one source. */
export interface FailureRun {
  source: 'log' | 'event';
  count: number;
  since: string | null;
  last: string | null;
  /** Most frequent code in the run (the latest on a tie), or null when none carried a code. */
  code: string | null;
  mixedCodes: boolean;
}

/** What the history says. */
export interface HistorySummary {
  attempts: number;
  lastSuccess: { time: string; ms: number | null; source: 'log' | 'event' | 'wua' } | null;
  run: FailureRun | null;
}

/** Normalises one detection of any accepted shape. */
export function toAttempt(d: DiagnoseDetection): Attempt {
  let time: string | null;
  let source: 'log' | 'event';
  if ('recordId' in d) {
    time = d.time;
    source = 'event';
  } else if ('line' in d) {
    time = d.end ?? d.start;
    source = 'log';
  } else {
    time = d.time;
    source = d.source ?? 'log';
  }
  const ms = time === null ? null : Date.parse(time);
  const hresult = d.hresult === null ? null : parseHresult(d.hresult);
  return { time, ms: ms === null || Number.isNaN(ms) ? null : ms, outcome: d.outcome, hresult, source };
}

/** Summarises detections and the WUA last search date. */
export function summarizeHistory(
  detections: readonly DiagnoseDetection[],
  wuaLastSearch: string | null,
): HistorySummary {
  const attempts = detections.map(toAttempt);
  let lastSuccess: HistorySummary['lastSuccess'] = null;
  let run: FailureRun | null = null;
  for (const source of ['event', 'log'] as const) {
    // A cancelled scan (0x8024000B …) is neither a failure nor a success.
    const mine = attempts.filter((a) => a.source === source && a.outcome !== 'unfinished' && a.outcome !== 'cancelled');
    const lastOk = mine.map((a) => a.outcome).lastIndexOf('succeeded');
    const ok = mine[lastOk];
    if (ok?.time != null && isLater(ok.ms, lastSuccess?.ms ?? null, lastSuccess === null)) {
      lastSuccess = { time: ok.time, ms: ok.ms, source };
    }
    const failures = mine.slice(lastOk + 1);
    if (failures.length > 0 && (run === null || failures.length > run.count)) run = failureRun(source, failures);
  }
  if (wuaLastSearch !== null) {
    const ms = Date.parse(wuaLastSearch);
    if (isLater(ms, lastSuccess?.ms ?? null, lastSuccess === null))
      lastSuccess = { time: wuaLastSearch, ms, source: 'wua' };
  }
  return { attempts: attempts.length, lastSuccess, run };
}

function isLater(ms: number | null, than: number | null, nothingYet: boolean): boolean {
  if (nothingYet) return true;
  return ms !== null && (than === null || ms > than);
}

function failureRun(source: 'log' | 'event', failures: Attempt[]): FailureRun {
  const counts = new Map<string, number>();
  for (const f of failures) if (f.hresult !== null) counts.set(f.hresult, (counts.get(f.hresult) ?? 0) + 1);
  let code: string | null = null;
  let best = 0;
  // Later failures win ties: walk newest first and only replace on a strictly higher count.
  for (const f of [...failures].reverse()) {
    if (f.hresult === null) continue;
    const n = counts.get(f.hresult)!;
    if (n > best) [code, best] = [f.hresult, n];
  }
  const times = failures.map((f) => f.time).filter((t): t is string => t !== null);
  return {
    source,
    count: failures.length,
    since: times[0] ?? null,
    last: times[times.length - 1] ?? null,
    code,
    mixedCodes: counts.size > 1,
  };
}

/** `YYYY-MM-DD` of a time string, or the string itself when it does not start with a date. */
export function dateOf(time: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(time) ? time.slice(0, 10) : time;
}

/** `YYYY-MM-DD HH:MM`, with ` UTC` for zoned UTC times; local log times stay as written. */
export function whenOf(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(time);
  if (m === null) return time;
  return `${m[1]} ${m[2]}${/(?:Z|[+-]00:?00)$/i.test(time) ? ' UTC' : ''}`;
}

/** `0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL: Same as HTTP status 503: …)` from the catalogue. */
export function codeWithMeaning(code: string): string {
  const d = describeHresult(code);
  if (d.name === 'UNKNOWN') return `${code} (not in wuwatch's catalogue)`;
  return `${code} (${d.name}: ${d.description.replace(/\.\s*$/, '')})`;
}
