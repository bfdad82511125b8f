/**
 * The findings state machine: feeds records in line order (timestamps may run backwards) to the trackers for
 * detection cycles, settings blocks, network errors and installs. Each line is dispatched on the first character of
 * its message through tables (PREFIXES): most lines start with a prefix no matcher looks for and cost a few checks.
 */
import { DetectionTracker } from './detection.js';
import { hexCodeAt, tokenAt } from './codes.js';
import { parseCycleMarker } from './markers.js';
import { ACTIONS, MARKER, NETWORK, SETTING, THIRD, WORDS } from './prefixes.js';
import { InstallTracker, installVerdictDetails } from './install.js';
import { bodyStart, skipBlanks, startsWithAt } from './message.js';
import { matchNetworkError, NetworkTracker } from './network.js';
import {
  isDetectionReport,
  isInstallReport,
  isReportEvent,
  isReportHead,
  parseReportEvent,
  parseReportFields,
  reportHeadTime,
  type ReportEvent,
} from './report-event.js';
import { SettingsTracker } from './settings.js';
import type { ParsedParserState } from './state.js';
import type { Finding, LogRecord } from './types.js';

/** Receives each finding once it is complete. */
export type FindingHandler = (finding: Finding) => void;

/** Process and thread of a skipped line; the TID string is cut only when a settings block needs it. */
export interface SkippedThread {
  readonly skippedPid: number;
  readonly skippedTid: string;
}

const STAR = 0x2a;
const HASH = 0x23;
const BRACE = 0x7b;
/** Lines a pasted REPORT EVENT may be wrapped over (a web page breaks it at the hr field and before the message). */
const MAX_REPORT_LINES = 5;
/** Longest joined REPORT EVENT text (real ones are well under 1 KiB); a longer one is not a report line. */
const MAX_REPORT_CHARS = 8 * 1024;
const SPACE = 0x20;
const CH_D = 0x44;
const CH_E = 0x45;
const CH_F = 0x46;
const CH_G = 0x47;
const CH_I = 0x49;
const CH_L = 0x4c;
const CH_R = 0x52;
const CH_S = 0x53;
const CH_T = 0x54;
const CH_W = 0x57;

const EXIT_CODE = 'Exit code = ';
const SKIPPING = WORDS.skipping;
const SYNC_FAILED = 'Failed to synchronize, error = ';
const SERVER_URL = WORDS.serverUrl;

/** `Found N update(s)` followed by ` and …` or the end of the line: N, else -1. */
function foundCount(text: string, at: number): number {
  let p = at + 6;
  let n = 0;
  const start = p;
  for (let c = text.charCodeAt(p); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++p)) n = n * 10 + c - 0x30;
  // Nine digits at most: a longer count is garbage, and past 2^53 no longer an integer the wire or a checkpoint takes.
  if (p === start || p - start > 9 || !startsWithAt(text, ' update', p)) return -1;
  p += 7;
  if (text.charCodeAt(p) === 0x73) p++; // updates
  if (startsWithAt(text, ' and', p)) return n;
  return skipBlanks(text, p) >= text.length ? n : -1;
}

/** Network failures without a WARNING prefix (modern, pasted) start with one of these. */
function isUnprefixedNetworkLine(text: string, at: number, c: number): boolean {
  switch (c) {
    case CH_W:
      return (
        startsWithAt(text, 'WS error:', at) ||
        startsWithAt(text, 'Web service', at) ||
        startsWithAt(text, 'WinHttp', at)
      );
    case CH_S:
      return startsWithAt(text, 'SendRequest', at);
    case CH_D:
      // `Download manager restoring …` is frequent: the `F` after "Download" turns it away in one read.
      return text.charCodeAt(at + 8) === CH_F && startsWithAt(text, WORDS.downloadFile, at);
    case CH_G:
      return startsWithAt(text, WORDS.getConfig, at);
  }
  return false;
}

/** Turns records into findings; call {@link onRecord} per line in order, then {@link end}. */
export class FindingsMachine {
  private readonly detection: DetectionTracker;
  private readonly settings: SettingsTracker;
  private readonly network: NetworkTracker;
  private readonly install: InstallTracker;
  /** A pasted REPORT EVENT whose fields continue on the next bare lines (see {@link continueReport}). */
  private wrapped: ParsedParserState['report'] = null;

  constructor(emit: FindingHandler) {
    this.detection = new DetectionTracker(emit);
    this.settings = new SettingsTracker(emit);
    this.network = new NetworkTracker(emit);
    this.install = new InstallTracker(emit);
  }

  /** Processes the next record; `at` is where its message starts ({@link bodyStart}), if the caller knows it. */
  onRecord(r: LogRecord, at: number = bodyStart(r.text, r.severity)): void {
    if (this.wrapped !== null && this.continueReport(r)) return;
    this.network.tick(r);
    const text = r.text;
    const c = text.charCodeAt(at);
    const c2 = text.charCodeAt(at + 1);
    // NaN (short text) turns into 0 in the bit operations, and no prefix holds a NUL.
    const i = (c | c2) < 0x80 ? (c << 7) | c2 : 0;
    const act = ACTIONS[i]!;
    if (act !== 0) {
      const third = THIRD[i]!;
      const c3 = text.charCodeAt(at + 2);
      if ((third & 0xff) === c3 || third >>> 8 === c3) {
        this.onKeyLine(r, text, at, c, act);
        return;
      }
    }
    // Most lines start with something no matcher cares about: keep their path short.
    this.settings.onOther(r);
    if (c === BRACE && isReportHead(text, at)) this.startReport(r, at);
    else if (r.severity !== 'info') this.onNetworkLine(r, text, at);
  }

  /**
   * True when a line that no matcher recognises can change nothing but what {@link skip} does: no pasted REPORT
   * EVENT is being joined (any bare line may continue it).
   */
  get quiet(): boolean {
    return this.wrapped === null;
  }

  /**
   * Line `line` of the process and thread in `thread` was skipped as one no matcher cares about ({@link quiet} held): it
   * counts for the network merge window and ends a settings block of its thread, as in {@link onRecord}'s short path.
   */
  skip(line: number, thread: SkippedThread): void {
    this.network.tickLine(line);
    this.settings.onOtherThread(thread);
  }

  /** What is open between two lines (copied), for a checkpoint. */
  snapshot(): Pick<ParsedParserState, 'detection' | 'settings' | 'network' | 'install' | 'report'> {
    return {
      detection: this.detection.snapshot(),
      settings: this.settings.snapshot(),
      network: this.network.snapshot(),
      install: this.install.snapshot(),
      report: this.wrapped === null ? null : { ...this.wrapped },
    };
  }

  /** Continues from a {@link snapshot}, as if the lines before it had just been read. */
  restore(state: Pick<ParsedParserState, 'detection' | 'settings' | 'network' | 'install' | 'report'>): void {
    this.detection.restore(state.detection);
    this.settings.restore(state.settings);
    this.network.restore(state.network);
    this.install.restore(state.install);
    this.wrapped = state.report === null ? null : { ...state.report };
  }

  /** Flushes everything still open: unfinished cycles, the last settings block, held network and install lines. */
  end(): void {
    this.wrapped = null;
    this.settings.end();
    this.network.flush();
    this.install.finish();
    this.detection.finish();
  }

  /** A line whose message starts with a prefix some matcher looks for (see {@link PREFIXES}). */
  private onKeyLine(r: LogRecord, text: string, at: number, c: number, act: number): void {
    if ((act & MARKER) !== 0 && this.isCycleMarker(r, text, at, c)) {
      this.settings.onOther(r);
      return;
    }
    // AU echoes part of the policy as `  # WSUS server: …` in its own init block; only the agent's block counts.
    if (
      (act & SETTING) !== 0 &&
      !(at >= 2 && text.charCodeAt(at - 2) === HASH && text.charCodeAt(at - 1) === SPACE) &&
      this.settings.onLine(r, at)
    ) {
      return;
    }
    this.settings.onOther(r);
    switch (c) {
      case CH_E:
        this.onExitCode(r, at);
        break;
      case CH_F:
        this.onF(r, at);
        break;
      case CH_I:
        if (startsWithAt(text, 'Installation ', at)) this.onInstallVerdictLine(r, at);
        else if (startsWithAt(text, 'Install call complete', at)) this.install.onCallComplete(r, text.slice(at));
        if (this.install.isWarning(text, at)) this.install.onWarning(r, text.slice(at));
        break;
      case CH_L:
        if (startsWithAt(text, 'LogHistory called', at)) this.install.onHistory(r, text.slice(at));
        break;
      case CH_R:
        if (isReportEvent(text, at)) this.onReportEvent(r, at);
        break;
      case CH_S:
        this.onS(r, at);
        break;
      case CH_T:
        if (startsWithAt(text, 'Title = ', at)) this.install.onTitle(r, text.slice(at + 8));
        break;
    }
    // Network failures are WARNING/FATAL lines in legacy logs; modern and pasted ones start with known words.
    if (r.severity !== 'info' || ((act & NETWORK) !== 0 && isUnprefixedNetworkLine(text, at, c))) {
      this.onNetworkLine(r, text, at);
    }
  }

  private onNetworkLine(r: LogRecord, text: string, at: number): void {
    const candidate = matchNetworkError(text, at);
    if (candidate !== null) this.network.onCandidate(r, candidate);
  }

  /**
   * START/END of a cycle; returns false for any other line. Banners of stars and the many `S…`/`E…` messages are
   * turned away by character checks before the marker parser runs.
   */
  private isCycleMarker(r: LogRecord, text: string, at: number, c: number): boolean {
    let star = at;
    if (c === STAR) {
      // legacy `** START **` / `**  END  **`: the message starts at the stars
      if (text.charCodeAt(at + 1) !== STAR || text.charCodeAt(at + 2) !== SPACE) return false;
    } else {
      // modern `* START *` / `* END *`, read as the indent `* ` and a message `START *`
      if (at < 2 || text.charCodeAt(at - 2) !== STAR || text.charCodeAt(at - 1) !== SPACE) return false;
      if (!startsWithAt(text, c === CH_S ? 'START *' : 'END *', at)) return false;
      star = at - 2;
    }
    const m = parseCycleMarker(text, star);
    if (m === null) return false;
    if (m.cycle === 'install') {
      if (m.edge === 'start') this.install.startCycle(r);
      else this.install.endCycle(r);
    } else if (m.edge === 'start') {
      this.detection.start(r, m.caller, m.id);
    } else {
      this.detection.end(r, m.id, m.exitCode);
    }
    return true;
  }

  private onExitCode(r: LogRecord, at: number): void {
    if (this.install.inCycle(r) || this.install.onCallExit(r, r.text.slice(at))) return;
    const code = startsWithAt(r.text, EXIT_CODE, at) ? hexCodeAt(r.text, at + EXIT_CODE.length) : null;
    if (code !== null) this.detection.onExitCode(r, code);
  }

  private onF(r: LogRecord, at: number): void {
    const text = r.text;
    if (this.install.isWarning(text, at)) {
      this.install.onWarning(r, text.slice(at));
      return;
    }
    if (!this.detection.active) return;
    if (startsWithAt(text, WORDS.found, at)) {
      const n = foundCount(text, at);
      if (n >= 0) this.detection.onFound(r, n);
    } else if (startsWithAt(text, SYNC_FAILED, at)) {
      const code = hexCodeAt(text, at + SYNC_FAILED.length);
      if (code !== null) this.detection.onSyncFailure(r, code);
    }
  }

  private onS(r: LogRecord, at: number): void {
    const text = r.text;
    // A skipped scan is a failed detection even outside a cycle (its START lies before the excerpt, or none).
    if (startsWithAt(text, SKIPPING, at)) {
      const code = hexCodeAt(text, at + SKIPPING.length);
      if (code !== null) this.detection.onSkip(r, code);
      return;
    }
    if (!this.detection.active) return;
    if (startsWithAt(text, WORDS.serviceId, at)) {
      // `ServiceID = {…} Managed` (agent) or `ServiceId = {…}, Server URL = …` (protocol talker)
      const d = text.charCodeAt(at + 8);
      if ((d !== 0x44 && d !== 0x64) || !startsWithAt(text, ' = {', at + 9)) return;
      const close = text.indexOf('}', at + 13);
      if (close < 0) return;
      if (text.charCodeAt(close + 1) === 0x2c) {
        this.detection.onService(r, text.slice(at + 12, close), '');
        const url = text.indexOf(SERVER_URL, close);
        if (url >= 0 && this.detection.wantsServerUrl(r)) {
          this.detection.onServerUrl(r, tokenAt(text, url + SERVER_URL.length));
        }
      } else {
        this.detection.onService(r, text.slice(at + 12, close), text.slice(close + 1));
      }
    } else if (startsWithAt(text, SERVER_URL, at)) {
      if (this.detection.wantsServerUrl(r)) this.detection.onServerUrl(r, tokenAt(text, at + SERVER_URL.length));
    }
  }

  private onReportEvent(r: LogRecord, at: number): void {
    const ev = parseReportEvent(r.text, at);
    if (ev !== null) this.onReport(r, ev);
  }

  /**
   * The text of a REPORT EVENT without prefix or header (CBS.log copies, web pages). When its fields do not all fit
   * on this line, the next bare lines complete it (see {@link continueReport}).
   */
  private startReport(r: LogRecord, at: number): void {
    const text = r.text.slice(at);
    if (text.length >= MAX_REPORT_CHARS) return;
    const ev = parseReportFields(text, 0);
    // Its own time stands in for a missing log header.
    const time = r.time ?? reportHeadTime(text);
    if (ev !== null) {
      this.onReport({ ...r, time }, ev);
      return;
    }
    this.wrapped = { line: r.line, time, pid: r.pid, tid: r.tid, text, parts: 1 };
  }

  /**
   * The next line while a pasted REPORT EVENT is open: a bare line is its continuation (joined with a blank, as the
   * page broke it); a dated line, or too many lines, drops it. True when the line was consumed.
   */
  private continueReport(r: LogRecord): boolean {
    const w = this.wrapped!;
    if (r.time !== null || w.parts >= MAX_REPORT_LINES || w.text.length + r.text.length >= MAX_REPORT_CHARS) {
      this.wrapped = null;
      return false;
    }
    w.text = w.text + ' ' + r.text.trim();
    w.parts++;
    const ev = parseReportFields(w.text, 0);
    if (ev !== null) {
      this.wrapped = null;
      const head: LogRecord = {
        line: w.line,
        time: w.time,
        pid: w.pid,
        tid: w.tid,
        component: null,
        severity: 'info',
        text: w.text,
      };
      this.onReport(head, ev);
    }
    return true;
  }

  private onReport(r: LogRecord, ev: ReportEvent): void {
    if (isDetectionReport(ev)) {
      this.detection.onReport(r, ev);
    } else if (isInstallReport(ev)) {
      this.install.onVerdict(r, ev.success, ev.hresult, installVerdictDetails(ev.message).title);
    }
  }

  private onInstallVerdictLine(r: LogRecord, at: number): void {
    const text = r.text;
    const succeeded = startsWithAt(text, 'Installation Successful:', at);
    if (!succeeded && !startsWithAt(text, 'Installation Failure:', at)) return;
    const { hresult, title } = installVerdictDetails(text.slice(at));
    this.install.onVerdict(r, succeeded, hresult, title);
  }
}
