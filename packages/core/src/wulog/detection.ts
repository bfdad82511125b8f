/**
 * Detection cycles ("Finding updates"): legacy `** START **  Agent: Finding updates [CallerId = X]` … `**  END  **`,
 * modern `* START * Finding updates CallerId = X  Id = N` … `* END * … Id = N, Exit code = 0x…`.
 *
 * Several processes and threads append to the legacy log, so an open cycle is keyed by the PID and TID of its START
 * line (plus the Id in modern logs). A line inside a cycle belongs to the open cycle of its own thread; failing that,
 * to the only open cycle of its process; a line without a header (pasted excerpt) belongs to the latest open cycle.
 *
 * Excerpts (and logs that rotated mid-cycle) cut cycles: an END whose START is not in the text is reported with an
 * unknown start and its real outcome (the END's exit code, or the `Exit code` line its thread logged just before
 * it); a `Skipping scan, self-update check returned 0x…` outside any cycle opens a cycle without a START (the
 * self-update check failed and the scan never ran), which its `Exit code` line or END finishes as failed.
 */
import { outcomeOfCode } from '../catalogue/outcome.js';
import { normalizeServiceId, updateServiceById, updateServiceName } from '../catalogue/services.js';
import { isSuccessHresult, type Hresult } from '../hresult/normalize.js';
import { detach, sameThread } from './codes.js';
import type { ReportEvent } from './report-event.js';
import { copyState } from './copy-state.js';
import type { ParsedParserState } from './state.js';
import type { DetectionFinding, LogRecord } from './types.js';

type Emit = (finding: DetectionFinding) => void;

/** More open cycles than this means ENDs are missing; the oldest is closed as unfinished to bound memory. */
const MAX_OPEN = 32;
/** Ended cycles a later REPORT EVENT may still confirm (and must then not duplicate). */
const MAX_RECENT = 8;

interface OpenCycle {
  finding: DetectionFinding;
  pid: number | null;
  tid: string | null;
  id: string | null;
  exitCode: Hresult | null;
  /** Time of the line that logged {@link exitCode}: the end of a cycle whose END is not in the text. */
  exitTime: string | null;
  skipCode: Hresult | null;
  syncCode: Hresult | null;
}

/** An `Exit code = 0x…` line of the Agent outside any cycle: the code of an END whose START is not in the text. */
interface LooseExit {
  pid: number | null;
  tid: string | null;
  code: Hresult;
}

/**
 * Removes `items[index]` in place, shifting the rest down by hand: this runs once or twice per cycle, where splice
 * would allocate an array for the removed element and shrinking `length` (or shift) may reallocate the backing store.
 */
function removeAt<T>(items: T[], index: number): void {
  for (let k = index + 1; k < items.length; k++) items[k - 1] = items[k]!;
  items.pop();
}

/** Tracks open detection cycles and emits one finding per cycle. */
export class DetectionTracker {
  private readonly emit: Emit;
  private open: OpenCycle[] = [];
  private recent: DetectionFinding[] = [];
  private loose: LooseExit | null = null;

  constructor(emit: Emit) {
    this.emit = emit;
  }

  /** The open and recently ended cycles, copied (see {@link ParsedParserState}). */
  snapshot(): ParsedParserState['detection'] {
    return copyState({ open: this.open, recent: this.recent, loose: this.loose });
  }

  /** Continues from a {@link snapshot}. */
  restore(state: ParsedParserState['detection']): void {
    const s = copyState(state);
    this.open = s.open;
    this.recent = s.recent;
    this.loose = s.loose;
  }

  /** True while any cycle is open (lets callers skip per-line work). */
  get active(): boolean {
    return this.open.length > 0;
  }

  /** A START line; `id` is the modern cycle Id (null in legacy logs). */
  start(r: LogRecord, caller: string | null, id: string | null): void {
    const same = this.indexOf(r, id, true);
    if (same >= 0) this.close(same, null, null); // the previous cycle on this key never logged its END
    this.openCycle(r, r.time, caller, id);
    this.clearLoose(r);
  }

  /**
   * An END line; modern ENDs pair by `id` and may carry the exit code. An END without its START is reported on its
   * own, with an unknown start and the END's code (or the loose `Exit code` its thread logged just before).
   */
  end(r: LogRecord, id: string | null, exitCode: Hresult | null): void {
    const index = id !== null ? this.indexOf(r, id, false) : this.open.indexOf(this.target(r) as OpenCycle);
    if (index >= 0) {
      this.close(index, r, exitCode);
      return;
    }
    const loose = this.loose !== null && sameThread(this.loose, r) ? this.loose.code : null;
    this.loose = null;
    const c = this.openCycle(r, null, null, id);
    this.close(this.open.indexOf(c), r, exitCode ?? loose);
  }

  /**
   * `ServiceID = {…} Managed` (agent) or `ServiceId = {…}, …`: the update service the cycle searched. The first
   * one a cycle logs is the one it ran against; `label` is what the client wrote after the ID.
   */
  onService(r: LogRecord, rawId: string, label: string): void {
    const c = this.target(r);
    if (c === undefined || c.finding.serviceId !== null) return;
    const id = normalizeServiceId(rawId);
    const cleanLabel = label.trim();
    c.finding.serviceId = detach(id);
    c.finding.serviceName = detach(updateServiceName(id, cleanLabel));
    const known = updateServiceById(id);
    if (known !== undefined && known.key !== 'default') c.finding.managed = known.key === 'wsus';
    else if (cleanLabel !== '') c.finding.managed = cleanLabel === 'Managed';
  }

  /** True when the cycle `r` belongs to has not logged a server URL yet (saves cutting one out for nothing). */
  wantsServerUrl(r: LogRecord): boolean {
    const c = this.target(r);
    return c !== undefined && c.finding.serverUrl === null;
  }

  /** `Server URL = …`: the first one a cycle logs is the endpoint it searched. */
  onServerUrl(r: LogRecord, url: string): void {
    const c = this.target(r);
    if (c !== undefined && c.finding.serverUrl === null && url !== '') c.finding.serverUrl = detach(url);
  }

  /** `Found N updates and M categories in search`. */
  onFound(r: LogRecord, count: number): void {
    const c = this.target(r);
    if (c !== undefined) c.finding.updatesFound = count;
  }

  /**
   * `Exit code = 0x…` (legacy, and older modern builds log it on its own line before END). Outside any cycle it is
   * kept for an END without START on the same thread; only the Agent's (or a pasted line's) counts there, since
   * COMAPI logs exit codes of its own calls.
   */
  onExitCode(r: LogRecord, code: Hresult): void {
    const c = this.target(r);
    if (c !== undefined) {
      c.exitCode = code;
      c.exitTime = r.time;
    } else if (r.component === null || r.component.toLowerCase() === 'agent') {
      this.loose = { pid: r.pid, tid: r.tid, code };
    }
  }

  /**
   * `Skipping scan, self-update check returned 0x…`: the scan did not run. Outside any cycle (its START lies before
   * the excerpt, or the client logged none) it opens one without a start, so the failure is not lost.
   */
  onSkip(r: LogRecord, code: Hresult): void {
    const c = this.target(r) ?? this.openCycle(r, null, null, null);
    c.skipCode = code;
  }

  /** `Failed to synchronize, error = 0x…`: the weakest failure evidence, used only without an exit code. */
  onSyncFailure(r: LogRecord, code: Hresult): void {
    const c = this.target(r);
    if (c !== undefined && c.syncCode === null) c.syncCode = code;
  }

  /**
   * A `Software Synchronization` REPORT EVENT. It confirms the verdict of a cycle that already ended (then nothing is
   * emitted, so a cycle is never reported twice); only a verdict with no matching cycle in the text becomes a
   * detection of its own (its START lies before the excerpt).
   */
  onReport(r: LogRecord, ev: ReportEvent): void {
    const failed = !ev.success;
    const hresult = failed ? ev.hresult : null;
    for (let k = this.recent.length - 1; k >= 0; k--) {
      const f = this.recent[k]!;
      if ((f.outcome !== 'succeeded') === failed && (!failed || f.hresult === hresult || hresult === null)) {
        removeAt(this.recent, k);
        return;
      }
    }
    const found = /detected (\d+) updates?/.exec(ev.message);
    this.emit({
      kind: 'detection',
      line: r.line,
      start: r.time,
      end: r.time,
      caller: detach(ev.caller),
      managed: null,
      serverUrl: null,
      outcome: !failed
        ? 'succeeded'
        : hresult !== null && outcomeOfCode(hresult) === 'cancelled'
          ? 'cancelled'
          : 'failed',
      hresult,
      updatesFound: found === null ? null : Number(found[1]),
      serviceId: null,
      serviceName: null,
    });
  }

  /**
   * End of input: cycles whose END is not in the text are unfinished, unless they already logged their verdict (an
   * `Exit code` line, or a skipped scan), which is reported as their outcome.
   */
  finish(): void {
    while (this.open.length > 0) this.close(0, null, null);
    this.loose = null;
  }

  private openCycle(r: LogRecord, start: string | null, caller: string | null, id: string | null): OpenCycle {
    if (this.open.length >= MAX_OPEN) this.close(0, null, null);
    const c: OpenCycle = {
      finding: {
        kind: 'detection',
        line: r.line,
        start,
        end: null,
        caller: detach(caller),
        managed: null,
        serverUrl: null,
        outcome: 'unfinished',
        hresult: null,
        updatesFound: null,
        serviceId: null,
        serviceName: null,
      },
      pid: r.pid,
      tid: r.tid,
      id,
      exitCode: null,
      exitTime: null,
      skipCode: null,
      syncCode: null,
    };
    this.open.push(c);
    return c;
  }

  private clearLoose(r: LogRecord): void {
    if (this.loose !== null && sameThread(this.loose, r)) this.loose = null;
  }

  /**
   * Index of the open cycle with this key, or -1: modern cycles by Id (and process, when both lines have one), legacy
   * ones by process and thread; `exact` (a new START) also requires the same process for a modern Id.
   */
  private indexOf(r: LogRecord, id: string | null, exact: boolean): number {
    for (let k = 0; k < this.open.length; k++) {
      const c = this.open[k]!;
      if (c.id !== id) continue;
      if (
        id === null
          ? c.pid === r.pid && c.tid === r.tid
          : exact
            ? c.pid === r.pid
            : c.pid === r.pid || c.pid === null || r.pid === null
      ) {
        return k;
      }
    }
    return -1;
  }

  private target(r: LogRecord): OpenCycle | undefined {
    const open = this.open;
    if (open.length === 0) return undefined;
    if (r.pid === null) return open[open.length - 1];
    let samePid: OpenCycle | undefined;
    let count = 0;
    for (let k = open.length - 1; k >= 0; k--) {
      const c = open[k]!;
      if (c.pid !== r.pid) continue;
      if (c.tid === r.tid) return c;
      samePid = c;
      count++;
    }
    return count === 1 ? samePid : undefined;
  }

  /**
   * Closes cycle `index`. Without an END record the cycle is unfinished, unless it already logged its verdict (an
   * `Exit code` line, or a skipped scan): then that verdict is its outcome and the exit line its end.
   */
  private close(index: number, endRecord: LogRecord | null, endExitCode: Hresult | null): void {
    const c = this.open[index];
    if (c === undefined) return;
    removeAt(this.open, index);
    const f = c.finding;
    const verdict = endRecord !== null || c.exitCode !== null || c.skipCode !== null;
    if (verdict) {
      f.end = endRecord !== null ? endRecord.time : c.exitTime;
      const exit = endExitCode ?? c.exitCode;
      const code = exit ?? c.skipCode ?? c.syncCode;
      if (code === null || (exit !== null && isSuccessHresult(exit))) {
        f.outcome = 'succeeded';
      } else {
        f.outcome = outcomeOfCode(code);
        f.hresult = code;
      }
      this.recent.push(f);
      if (this.recent.length > MAX_RECENT) removeAt(this.recent, 0);
    }
    this.emit(f);
  }
}
