/** Turning parser findings (from the log or the event channels) into wire events for the spool. Pure. */
import type { EventFinding, Finding } from '@wuwatch/core';
import type { SpoolInput } from '../spool/index.js';

/**
 * Converts a log's local time (`YYYY-MM-DDTHH:MM:SS.fff…`, no zone) to UTC ISO using the machine's UTC
 * offset in minutes (east positive, as the log's `tz: +0530` banner writes it). Null when there is no time.
 */
export function localToUtc(local: string | null, offsetMinutes: number): string | null {
  if (!local) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.exec(local);
  if (!m) return null;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, '0') : 0);
  if (Number.isNaN(ms)) return null;
  return new Date(ms - offsetMinutes * 60_000).toISOString();
}

/** One log finding as a spool event; `now` stands in for findings without a time (pasted logs). */
export function logFindingToEvent(f: Finding, offsetMinutes: number, now: Date): SpoolInput {
  const fallback = now.toISOString();
  switch (f.kind) {
    case 'detection': {
      const time = localToUtc(f.end ?? f.start, offsetMinutes) ?? fallback;
      return {
        time,
        kind: 'detection',
        data: {
          source: 'log',
          attemptKey: localToUtc(f.start, offsetMinutes),
          outcome: f.outcome,
          hresult: f.hresult,
          caller: f.caller,
          managed: f.managed,
          serverUrl: f.serverUrl,
          updatesFound: f.updatesFound,
          line: f.line,
          recordId: null,
        },
      };
    }
    case 'settings':
    case 'network_error':
    case 'install': {
      const { kind, time, ...rest } = f;
      return { time: localToUtc(time, offsetMinutes) ?? fallback, kind, data: { ...rest } };
    }
  }
}

/** One event-channel finding as a spool event (event times are already UTC). */
export function eventFindingToEvent(f: EventFinding): SpoolInput {
  if (f.kind === 'detection') {
    return {
      time: f.time,
      kind: 'detection',
      data: {
        source: 'event',
        attemptKey: f.time,
        outcome: f.outcome,
        hresult: f.hresult,
        caller: null,
        managed: null,
        serverUrl: null,
        updatesFound: f.updatesFound ?? null,
        line: null,
        recordId: f.recordId,
      },
    };
  }
  const { kind, time, ...rest } = f;
  return { time, kind, data: { ...rest } };
}
