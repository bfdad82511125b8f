/** Turning parser findings (from the log or the event channels) into wire events for the spool. Pure. */
import { logDetectionData, type EventFinding, type Finding, type WireEvent } from '@wuwatch/core';
import type { SpoolInput } from '../spool/index.js';

/** The number the `count` ASCII digits of `s` at `at` spell, or -1 when one of them is not a digit (or absent). */
function digitsAt(s: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1; // NaN past the end fails too
    value = value * 10 + d;
  }
  return value;
}

/**
 * Converts a log's local time (`YYYY-MM-DDTHH:MM:SS.fff…`, no zone) to UTC ISO using the machine's UTC
 * offset in minutes (east positive, as the log's `tz: +0530` banner writes it). Null when there is no time.
 * Read by character codes rather than a regex: it runs twice per detection, for every line of a backlog.
 */
export function localToUtc(local: string | null, offsetMinutes: number): string | null {
  if (!local) return null;
  // The layout of /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?/.
  if (local.charCodeAt(4) !== 0x2d || local.charCodeAt(7) !== 0x2d || local.charCodeAt(10) !== 0x54) return null;
  if (local.charCodeAt(13) !== 0x3a || local.charCodeAt(16) !== 0x3a) return null;
  const year = digitsAt(local, 0, 4);
  const month = digitsAt(local, 5, 2);
  const day = digitsAt(local, 8, 2);
  const hour = digitsAt(local, 11, 2);
  const minute = digitsAt(local, 14, 2);
  const second = digitsAt(local, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  // Up to three fraction digits, as milliseconds (`.5` is 500 ms); more digits are ignored.
  let millis = 0;
  if (local.charCodeAt(19) === 0x2e) {
    for (let i = 0, scale = 100; i < 3; i++, scale /= 10) {
      const d = digitsAt(local, 20 + i, 1);
      if (d < 0) break;
      millis += d * scale;
    }
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (Number.isNaN(ms)) return null;
  return isoUtc(ms - offsetMinutes * 60_000);
}

const DAY_MS = 86_400_000;
const MAX_TIME_MS = 8.64e15;
// Backlogs are in time order, so consecutive events nearly always fall on the same day as the one before.
let cachedDay = NaN;
let cachedDate = '';

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()`, the same string, without the cost of V8's date formatting (about a
 * microsecond a call, twice per detection): the date part is formatted once per day, the time part here.
 */
function isoUtc(ms: number): string {
  if (!(Math.abs(ms) <= MAX_TIME_MS)) return new Date(ms).toISOString(); // throws as it always did
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    cachedDate = iso.slice(0, iso.indexOf('T'));
    cachedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${cachedDate}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}Z`;
}

/** One log finding as a spool event; `now` stands in for findings without a time (pasted logs). */
export function logFindingToEvent(f: Finding, offsetMinutes: number, now: Date): SpoolInput {
  switch (f.kind) {
    case 'detection': {
      const time = localToUtc(f.end ?? f.start, offsetMinutes) ?? now.toISOString();
      return { time, kind: 'detection', data: logDetectionData(f, localToUtc(f.start, offsetMinutes)) };
    }
    case 'settings':
    case 'network_error':
    case 'install': {
      // `rest` is already a fresh object: it is the event's data as it is.
      const { kind, time, ...rest } = f;
      return { time: localToUtc(time, offsetMinutes) ?? now.toISOString(), kind, data: rest };
    }
  }
}

/** True for an event {@link logFindingToEvent} makes (what the log tail spools). */
export function isLogEvent(e: Pick<WireEvent, 'kind' | 'data'>): boolean {
  switch (e.kind) {
    case 'detection':
      return e.data.source === 'log';
    case 'settings':
    case 'network_error':
    case 'install':
      // Log findings carry their line; event-channel ones a recordId instead.
      return typeof e.data.line === 'number';
    default:
      return false;
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
        serviceId: f.serviceId ?? null,
        serviceName: f.serviceName ?? null,
      },
    };
  }
  const { kind, time, ...rest } = f;
  return { time, kind, data: { ...rest } };
}
