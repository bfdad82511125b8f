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

/** One "Finding updates" cycle. */
export interface DetectionFinding {
  kind: 'detection';
  line: number;
  start: string | null;
  end: string | null;
  caller: string | null;
  managed: boolean | null;
  serverUrl: string | null;
  outcome: 'succeeded' | 'failed' | 'unfinished';
  hresult: Hresult | null;
  updatesFound: number | null;
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

/** An install result. */
export interface InstallFinding {
  kind: 'install';
  line: number;
  time: string | null;
  outcome: 'succeeded' | 'failed';
  hresult: Hresult | null;
  title: string | null;
}

/** Anything the findings state machine yields. */
export type Finding = DetectionFinding | SettingsFinding | NetworkErrorFinding | InstallFinding;
