/**
 * Install results, best effort. Verdicts: a `Content Install` REPORT EVENT (legacy), the modern per-update
 * `LogHistory called. idUpdate={…}.N, resultMapped=80070643, …` line, or a System-event style line
 * (`Installation Successful: Windows successfully installed the following update: <title>`, `Installation Failure:
 * Windows failed to install the following update with error 0x…: <title>`). Failure warnings (`Failed to install
 * update …, error 0x…`, `Install failed, error = 0x…`) are held until a verdict with the same code arrives (then they
 * are the same failure and are dropped), the next install cycle starts, or the input ends.
 * `Agent: Installing updates` cycles are tracked per thread for their `Title = …` lines and so that their
 * `Exit code` lines are not taken for a detection's.
 *
 * The modern ComApi summary `Install call complete (succeeded = 0, succeeded with errors = 0, failed = 1, …)` reports
 * a failure only when the per-update LogHistory lines since the previous summary did not already report as many
 * (otherwise it would count the same failure twice); it is held until the `Exit code = 0x…; Call error code = 0x…`
 * line of its thread gives it a code. Pasted copies of these lines carry extra blanks and table debris (` |`).
 */
import { outcomeOfCode } from '../catalogue/outcome.js';
import { normalizeServiceId } from '../catalogue/services.js';
import type { Hresult } from '../hresult/normalize.js';
import { detach, hexCode, labelledCode, sameThread } from './codes.js';
import { startsWithAt } from './message.js';
import { copyState } from './copy-state.js';
import type { ParsedParserState } from './state.js';
import type { InstallFinding, LogRecord } from './types.js';

type Emit = (finding: InstallFinding) => void;

const MAX_PENDING = 16;
const MAX_CYCLES = 16;
const KB = /\bKB\s?(\d{6,8})\b/i;
const ID_UPDATE = /idUpdate\s*=\s*\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?/;
const RESULT_MAPPED = /resultMapped\s*=\s*(?:0x)?([0-9A-Fa-f]{1,8})\b/;
const CALL_COMPLETE =
  /^Install call complete\s*\(\s*succeeded\s*=\s*(\d{1,9})\s*,\s*succeeded with errors\s*=\s*(\d{1,9})\s*,\s*failed\s*=\s*(\d{1,9})\b/;
const CALL_ERROR = /Call error code\s*=\s*(?:0x)?([0-9A-Fa-f]{1,8})\b/;

/** `KB5034768` → `KB5034768` from a title or message; null when it names none. */
export function kbOf(text: string | null): string | null {
  if (text === null) return null;
  const m = KB.exec(text);
  return m === null ? null : 'KB' + m[1]!;
}

/** The fields of a modern `LogHistory called. …` line, or null when it carries no result. */
export function parseLogHistory(text: string): { updateId: string | null; hresult: Hresult } | null {
  const result = RESULT_MAPPED.exec(text);
  const hresult = result === null ? null : hexCode(result[1]);
  if (hresult === null) return null;
  const id = ID_UPDATE.exec(text);
  return { updateId: id === null ? null : detach(normalizeServiceId(id[1])), hresult };
}
// The title is everything after the colon, trimmed in code (with one final full stop): a lazy `(.*?)` followed by
// `\.?\s*$` rescans trailing blanks from every position, quadratic on a long line of blanks.
const FOLLOWING_UPDATE = /following update(?: with error (0x[0-9A-Fa-f]{1,8}|[0-9A-Fa-f]{8}))?:(.*)$/;
const INSTALL_WARNING = /^(?:Failed to install update|Install(?:ation)? failed\b)/;

interface InstallCycle {
  pid: number | null;
  tid: string | null;
  /** The first `Title = …` of the cycle and how many there were: a title is reported only for a single update. */
  title: string | null;
  titleCount: number;
}

/** Title and code from the text of an install verdict. */
export function installVerdictDetails(message: string): { hresult: Hresult | null; title: string | null } {
  const m = FOLLOWING_UPDATE.exec(message);
  if (m === null) return { hresult: labelledCode(message), title: null };
  let title = m[2]!.trim();
  if (title.endsWith('.')) title = title.slice(0, -1).trimEnd();
  return { hresult: m[1] === undefined ? null : labelledCode('error ' + m[1]), title: title === '' ? null : title };
}

/** Tracks install cycles and emits install findings. */
export class InstallTracker {
  private readonly emit: Emit;
  private cycles: InstallCycle[] = [];
  private pending: InstallFinding[] = [];
  /** A ComApi `Install call complete` failure waiting for its `Call error code` line. */
  private summary: { finding: InstallFinding; pid: number | null; tid: string | null; failed: number } | null = null;
  /** LogHistory failures since the last summary: the summary counts them again. */
  private historyFailures = 0;

  constructor(emit: Emit) {
    this.emit = emit;
  }

  /** `Agent: Installing updates` START. */
  startCycle(r: LogRecord): void {
    this.flushPending();
    this.cycles = this.cycles.filter((c) => !sameThread(c, r));
    if (this.cycles.length >= MAX_CYCLES) this.cycles.shift();
    this.cycles.push({ pid: r.pid, tid: r.tid, title: null, titleCount: 0 });
  }

  /** `Agent: Installing updates` END. */
  endCycle(r: LogRecord): void {
    this.cycles = this.cycles.filter((c) => !sameThread(c, r));
  }

  /** True when `r` was written by a thread that is inside an install cycle. */
  inCycle(r: LogRecord): boolean {
    return this.cycles.length > 0 && this.cycles.some((c) => sameThread(c, r));
  }

  /** `Title = …` inside an install cycle. */
  onTitle(r: LogRecord, title: string): void {
    const c = this.cycles.find((x) => sameThread(x, r));
    if (c === undefined) return;
    if (c.titleCount++ === 0) c.title = detach(title.trim());
  }

  /** True when the message at `at` is an install failure warning. */
  isWarning(text: string, at: number): boolean {
    const c = text.charCodeAt(at);
    // Cheap guard: this runs on every line starting with F or I.
    if (
      (c !== 0x46 && c !== 0x49) ||
      !(startsWithAt(text, 'Failed to install', at) || startsWithAt(text, 'Install', at))
    ) {
      return false;
    }
    return INSTALL_WARNING.test(at === 0 ? text : text.slice(at));
  }

  /** An install failure warning; its title is the cycle's when the cycle installs a single update. */
  onWarning(r: LogRecord, message: string): void {
    const c = this.cycles.find((x) => sameThread(x, r));
    const title = c !== undefined && c.titleCount === 1 ? c.title : null;
    if (this.pending.length >= MAX_PENDING) this.emit(this.pending.shift()!);
    const code = labelledCode(message);
    this.pending.push(installFinding(r, code === null ? 'failed' : outcomeOfCode(code), code, title, null));
  }

  /** A verdict (REPORT EVENT or System-style line); `hresult` is ignored on success. */
  onVerdict(r: LogRecord, succeeded: boolean, hresult: Hresult | null, title: string | null): void {
    const code = succeeded ? null : hresult;
    if (!succeeded) {
      // Warnings with this code were the same failure; the verdict reports it with its title.
      this.pending = this.pending.filter((p) => p.hresult !== code || code === null);
    }
    const outcome = succeeded ? 'succeeded' : code === null ? 'failed' : outcomeOfCode(code);
    this.emit(installFinding(r, outcome, code, detach(title), null));
  }

  /** A modern `LogHistory called. idUpdate={…}.N, resultMapped=…` line: one update's install result. */
  onHistory(r: LogRecord, message: string): void {
    const h = parseLogHistory(message);
    if (h === null) return;
    const outcome = outcomeOfCode(h.hresult);
    if (outcome === 'succeeded') {
      this.emit(installFinding(r, outcome, null, null, h.updateId));
      return;
    }
    if (outcome === 'failed') this.historyFailures++;
    this.pending = this.pending.filter((p) => p.hresult !== h.hresult);
    this.emit(installFinding(r, outcome, h.hresult, null, h.updateId));
  }

  /** A ComApi `Install call complete (succeeded = …, failed = N, …)` summary. */
  onCallComplete(r: LogRecord, message: string): void {
    const m = CALL_COMPLETE.exec(message);
    if (m === null) return;
    const failed = Number(m[3]);
    const unreported = failed - this.historyFailures;
    this.historyFailures = 0;
    this.flushSummary();
    if (unreported <= 0) return;
    this.summary = { finding: installFinding(r, 'failed', null, null, null), pid: r.pid, tid: r.tid, failed };
  }

  /** `Exit code = 0x…; Call error code = 0x…` after a summary: its code. True when the line was that. */
  onCallExit(r: LogRecord, message: string): boolean {
    const s = this.summary;
    if (s === null || !sameThread(s, r)) return false;
    const m = CALL_ERROR.exec(message);
    if (m === null) return false;
    s.finding.hresult = hexCode(m[1]);
    this.flushSummary();
    return true;
  }

  /** Open install cycles and held lines, copied (see {@link ParsedParserState}). */
  snapshot(): ParsedParserState['install'] {
    return copyState({
      cycles: this.cycles,
      pending: this.pending,
      summary: this.summary,
      historyFailures: this.historyFailures,
    });
  }

  /** Continues from a {@link snapshot}. */
  restore(state: ParsedParserState['install']): void {
    const s = copyState(state);
    this.cycles = s.cycles;
    this.pending = s.pending;
    this.summary = s.summary;
    this.historyFailures = s.historyFailures;
  }

  /** Emits held warnings and summaries (end of input). */
  finish(): void {
    this.flushPending();
  }

  private flushSummary(): void {
    const s = this.summary;
    this.summary = null;
    if (s !== null) this.emit(s.finding);
  }

  /** Emits the held summary, then the held warnings. */
  private flushPending(): void {
    this.flushSummary();
    const held = this.pending;
    this.pending = [];
    for (const f of held) this.emit(f);
  }
}

function installFinding(
  r: LogRecord,
  outcome: InstallFinding['outcome'],
  hresult: Hresult | null,
  title: string | null,
  updateId: string | null,
): InstallFinding {
  return {
    kind: 'install',
    line: r.line,
    time: r.time,
    outcome,
    hresult,
    title,
    kb: kbOf(title),
    updateId,
    serviceId: null,
  };
}
