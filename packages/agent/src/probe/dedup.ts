/**
 * Which WSUS probe results the agent reports. The probe runs every few minutes, but a result that says the same as the
 * last one reported tells the collector nothing: 10,000 machines probing every 5 minutes stored 2.9 million rows a
 * day, almost all of them repeats. So a result is reported when what it says changes (class, ok, HTTP status, failed
 * step, HRESULT, URL: the fields the collector's status, alerts and WSUS view read), and otherwise at most every
 * `repeatMs` as a "still the same" mark, so the stored history shows the result was still being confirmed.
 *
 * Why the collector needs nothing more: a machine's probe verdict is its last reported result, held until a different
 * one arrives. The agent reports a change at the next probe, so while the agent is connected (the collector's
 * `last_seen` / `connected`) the last result *is* the current one; when the agent goes quiet the machine turns
 * `silent`, which outranks every probe status. The time of the last probe event is when the result was first seen or
 * last confirmed, no longer when the probe last ran.
 */
import type { ProbeData } from '@wuwatch/core';

/** The fields whose change makes a probe result worth reporting at once. */
export function probeKey(p: ProbeData): string {
  return JSON.stringify([p.url, p.class, p.ok, p.httpStatus, p.failedStep, p.hresult]);
}

/** Decides, probe by probe, whether a result is reported; see the module comment. */
export class ProbeReporter {
  private lastKey: string | null = null;
  private lastReportedAt = -Infinity;

  /** `repeatMs`: the longest time an unchanged result goes unreported (the "still the same" mark). */
  constructor(private readonly repeatMs: number) {}

  /**
   * True when `result` (probed at `nowMs`) is to be reported. The first result after the agent starts always is: the
   * collector may have missed the last one, and it costs one row per start.
   */
  due(result: ProbeData, nowMs: number): boolean {
    return probeKey(result) !== this.lastKey || nowMs - this.lastReportedAt >= this.repeatMs;
  }

  /** Records that `result` was reported (stored in the spool) at `nowMs`. */
  reported(result: ProbeData, nowMs: number): void {
    this.lastKey = probeKey(result);
    this.lastReportedAt = nowMs;
  }
}
