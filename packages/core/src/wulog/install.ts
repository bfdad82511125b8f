/**
 * Install results, best effort. Verdicts: a `Content Install` REPORT EVENT, or a System-event style line
 * (`Installation Successful: Windows successfully installed the following update: <title>`, `Installation Failure:
 * Windows failed to install the following update with error 0x…: <title>`). Failure warnings (`Failed to install
 * update …, error 0x…`, `Install failed, error = 0x…`) are held until a verdict with the same code arrives (then they
 * are the same failure and are dropped), the next install cycle starts, or the input ends.
 * `Agent: Installing updates` cycles are tracked per thread for their `Title = …` lines and so that their
 * `Exit code` lines are not taken for a detection's.
 */
import type { Hresult } from '../hresult/normalize.js';
import { detach, labelledCode, sameThread } from './codes.js';
import { startsWithAt } from './message.js';
import { copyState, type ParserState } from './state.js';
import type { InstallFinding, LogRecord } from './types.js';

type Emit = (finding: InstallFinding) => void;

const MAX_PENDING = 16;
const MAX_CYCLES = 16;
const FOLLOWING_UPDATE = /following update(?: with error (0x[0-9A-Fa-f]{1,8}|[0-9A-Fa-f]{8}))?:\s*(.*?)\.?\s*$/;
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
  const title = m[2]!.trim();
  return { hresult: m[1] === undefined ? null : labelledCode('error ' + m[1]), title: title === '' ? null : title };
}

/** Tracks install cycles and emits install findings. */
export class InstallTracker {
  private readonly emit: Emit;
  private cycles: InstallCycle[] = [];
  private pending: InstallFinding[] = [];

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
    this.pending.push({
      kind: 'install',
      line: r.line,
      time: r.time,
      outcome: 'failed',
      hresult: labelledCode(message),
      title,
    });
  }

  /** A verdict (REPORT EVENT or System-style line); `hresult` is ignored on success. */
  onVerdict(r: LogRecord, succeeded: boolean, hresult: Hresult | null, title: string | null): void {
    const code = succeeded ? null : hresult;
    if (!succeeded) {
      // Warnings with this code were the same failure; the verdict reports it with its title.
      this.pending = this.pending.filter((p) => p.hresult !== code || code === null);
    }
    this.emit({
      kind: 'install',
      line: r.line,
      time: r.time,
      outcome: succeeded ? 'succeeded' : 'failed',
      hresult: code,
      title: detach(title),
    });
  }

  /** Open install cycles and held warnings, copied (see {@link ParserState}). */
  snapshot(): ParserState['install'] {
    return copyState({ cycles: this.cycles, pending: this.pending });
  }

  /** Continues from a {@link snapshot}. */
  restore(state: ParserState['install']): void {
    const s = copyState(state);
    this.cycles = s.cycles;
    this.pending = s.pending;
  }

  /** Emits held warnings (end of input). */
  finish(): void {
    this.flushPending();
  }

  private flushPending(): void {
    const held = this.pending;
    this.pending = [];
    for (const f of held) this.emit(f);
  }
}
