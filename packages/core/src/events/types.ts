/** Types of the event channel reader: events as wevtutil renders them and the findings derived from them. */
import type { DetectionFinding, InstallFinding, NetworkErrorFinding } from '../wulog/types.js';

/** One event from `wevtutil qe … /f:xml`. Data values stay strings exactly as written (`0x8024402f` stays text). */
export interface WinEvent {
  channel: string;
  provider: string;
  recordId: number;
  eventId: number;
  /** System/TimeCreated/@SystemTime as a UTC ISO string with millisecond precision and `Z`. */
  time: string;
  /** 1 critical, 2 error, 3 warning, 4 information, 0 log-always; null when the event has no Level. */
  level: number | null;
  computer: string | null;
  /** `<Data Name='x'>v</Data>` as `{x: 'v'}`; unnamed Data elements are keyed by position (`'0'`, `'1'`, …). */
  data: Record<string, string>;
}

/** Where an event finding came from; replaces the log finding's `line`. */
export interface EventOrigin {
  recordId: number;
  channel: string;
  eventId: number;
  /** Event time (UTC ISO, `Z`). */
  time: string;
}

/** A detection from event 25 (failed) or 26 (succeeded); `caller`, `managed` and `serverUrl` are not in events. */
export type EventDetectionFinding = Omit<DetectionFinding, 'line' | 'start' | 'end'> & EventOrigin;
/** A failed request to an update server (events 31, 32, 33). */
export type EventNetworkErrorFinding = Omit<NetworkErrorFinding, 'line' | 'time'> & EventOrigin;
/** An install result (events 19, 20). */
export type EventInstallFinding = Omit<InstallFinding, 'line' | 'time'> & EventOrigin;

/** Anything eventToFinding yields. */
export type EventFinding = EventDetectionFinding | EventNetworkErrorFinding | EventInstallFinding;
