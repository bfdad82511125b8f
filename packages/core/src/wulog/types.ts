/** Types of the WindowsUpdate.log parser: line records and the findings derived from them. */
import type { Hresult } from '../hresult/normalize.js';

/** Severity from a `WARNING:`/`FATAL:` prefix of the text. */
export type Severity = 'info' | 'warning' | 'fatal';

/** One input line. `time` is local time as written, `YYYY-MM-DDTHH:MM:SS.fff…`, no zone. */
export interface LogRecord {
  line: number;
  time: string | null;
  pid: number | null;
  tid: string | null;
  component: string | null;
  severity: Severity;
  text: string;
}

/**
 * How a detection counts: `cancelled` (interrupted by Windows, e.g. 0x8024000B) is neither a failure nor a success;
 * `unfinished` has no verdict in the text.
 */
export type DetectionOutcome = 'succeeded' | 'failed' | 'cancelled' | 'unfinished';

/**
 * One "Finding updates" cycle. `start` is null when the excerpt holds its end but not its START (the outcome is still
 * the real one). `serviceId`/`serviceName` name the update service the scan ran against (catalogue/services.ts) when
 * the log says so; `managed` is true for the WSUS/Configuration Manager service.
 */
export interface DetectionFinding {
  kind: 'detection';
  line: number;
  start: string | null;
  end: string | null;
  caller: string | null;
  managed: boolean | null;
  serverUrl: string | null;
  outcome: DetectionOutcome;
  hresult: Hresult | null;
  updatesFound: number | null;
  serviceId: string | null;
  serviceName: string | null;
}

/** One block of policy the client logged (`WSUS server:` …). */
export interface SettingsFinding {
  kind: 'settings';
  line: number;
  time: string | null;
  wsusServer: string | null;
  statusServer: string | null;
  targetGroup: string | null;
  accessDisabled: boolean | null;
}

/** A failed request to an update server. */
export interface NetworkErrorFinding {
  kind: 'network_error';
  line: number;
  time: string | null;
  hresult: Hresult | null;
  url: string | null;
  httpStatus: number | null;
}

/**
 * An install result: the update's title and KB number when the source names them, the failure code (the catalogue
 * explains it: describeHresult), and the update service when known. `cancelled` never counts as a failure.
 */
export interface InstallFinding {
  kind: 'install';
  line: number;
  time: string | null;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  hresult: Hresult | null;
  title: string | null;
  kb: string | null;
  /** Update ID (GUID, upper case, no braces) when the source names it. */
  updateId: string | null;
  serviceId: string | null;
}

/** Anything the findings state machine yields. */
export type Finding = DetectionFinding | SettingsFinding | NetworkErrorFinding | InstallFinding;
