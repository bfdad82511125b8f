/**
 * Failed requests to an update server.
 *
 * Rule: a line is a network_error candidate when it names the request's URL (`… failed for <url>. error 0x…`,
 * `DownloadFileInternal failed for http://…: error 0x…`, `WS error: … endpoint at '…'`), carries an HTTP status
 * (`GetConfig failure, error = 0x…, … HTTP status code = 503`), or is a request-level failure (`SendRequest failed
 * with hr = …`, `Web service call failed with hr = …`). WinHttp helper lines that only repeat a code
 * (`WinHttp: ShouldFileBeDownloaded failed with 0x801901f7`) are not: they are the retries of a request whose URL the
 * client names on a later `failed for` line, and counting them would report one failure many times.
 *
 * The client reports one failure over several lines (modern: `WS error: … endpoint at 'url'` then `Web service call
 * failed with hr = 8024401c.`; legacy: `SendRequest failed with hr = …` then `WinHttp: … failed for <url>`), so a
 * candidate is held for a few lines and merged with the next candidate of the same thread when no field conflicts.
 */
import type { Hresult } from '../hresult/normalize.js';
import { detach, hexCodeAt, labelledCode, sameThread } from './codes.js';
import { skipBlanks, startsWithAt } from './message.js';
import { httpStatusFromHresult } from './http-status.js';
import { copyState } from './copy-state.js';
import type { ParsedParserState } from './state.js';
import type { LogRecord, NetworkErrorFinding } from './types.js';

type Emit = (finding: NetworkErrorFinding) => void;

/** Lines after which a held candidate is emitted even if nothing merged into it. */
const MERGE_WINDOW = 6;

const HTTP_STATUS = /HTTP status code\s*=\s*(\d{3})\b/gi;

/** Characters that end a URL in a log line (blanks, brackets, quotes). */
function endsUrl(c: number): boolean {
  return (
    c !== c || // NaN: end of text
    c === 0x20 ||
    c === 0x09 ||
    c === 0x3c ||
    c === 0x3e ||
    c === 0x27 ||
    c === 0x22 ||
    c === 0x2018 ||
    c === 0x2019
  );
}

/** Where the URL found by the last {@link urlEnd} starts. */
let urlStart = 0;

/** Index after the URL at `i` (after an optional `<` and quote; http, https or ftp), or -1. Sets `urlStart`. */
function urlEnd(text: string, i: number): number {
  let p = i;
  if (text.charCodeAt(p) === 0x3c) p++;
  const q = text.charCodeAt(p);
  if (q === 0x27 || q === 0x22 || q === 0x2018 || q === 0x2019) p++;
  const scheme = text.indexOf('://', p);
  if (scheme < 0 || scheme - p > 5) return -1;
  const name = text.slice(p, scheme).toLowerCase();
  if (name !== 'http' && name !== 'https' && name !== 'ftp') return -1;
  let e = scheme + 3;
  if (endsUrl(text.charCodeAt(e))) return -1;
  while (!endsUrl(text.charCodeAt(e))) e++;
  urlStart = p;
  return e;
}

/** `SendRequest failed with hr = X` / `Web service call failed with hr = X`: the code, or null for other lines. */
function requestCode(text: string, at: number): Hresult | null {
  const i = text.indexOf(' failed with hr', at);
  if (i < 0) return null;
  const from = text.startsWith('SendRequest', i - 11)
    ? i - 11
    : text.startsWith('Web service call', i - 16)
      ? i - 16
      : -1;
  if (from < at || (from > 0 && isWordChar(text.charCodeAt(from - 1)))) return null;
  let p = skipBlanks(text, i + 15);
  if (text.charCodeAt(p) !== 0x3d) return null; // '='
  p = skipBlanks(text, p + 1);
  return hexCodeAt(text, p);
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f;
}

/** Drops `.`, `:`, `,`, `;` that end the sentence around a URL. */
function trimUrl(url: string): string {
  let end = url.length;
  for (
    let c = url.charCodeAt(end - 1);
    c === 0x2e || c === 0x3a || c === 0x2c || c === 0x3b;
    c = url.charCodeAt(--end - 1)
  );
  return end === url.length ? url : url.slice(0, end);
}

/** What one line says about a failed request. */
interface Candidate {
  hresult: Hresult | null;
  url: string | null;
  httpStatus: number | null;
}

/** Reads a network failure from the message at `at`; null when the line is not a candidate (see the rule above). */
export function matchNetworkError(text: string, at: number): Candidate | null {
  if (startsWithAt(text, 'WS error:', at)) {
    const i = text.indexOf('endpoint at ', at);
    const end = i < 0 ? -1 : urlEnd(text, i + 12);
    return end < 0 ? null : { hresult: null, url: trimUrl(text.slice(urlStart, end)), httpStatus: null };
  }
  // indexOf gates keep the parsing off the many WARNING lines that are not request failures.
  if (text.indexOf('fail', at) < 0) return null;
  const failedFor = text.indexOf('failed for ', at);
  const urlStop = failedFor < 0 ? -1 : urlEnd(text, failedFor + 11);
  const url = urlStop < 0 ? null : trimUrl(text.slice(urlStart, urlStop));
  const status = text.indexOf('HTTP status code', at) >= 0 ? execFrom(HTTP_STATUS, text, at) : null;
  const request = requestCode(text, at);
  if (url === null && status === null && request === null) return null;
  const hresult = request ?? labelledCode(text, urlStop < 0 ? at : urlStop);
  return {
    hresult,
    url,
    httpStatus: status === null ? httpStatusFromHresult(hresult) : Number(status[1]),
  };
}

/** Runs a global regex from `at` without slicing the text. */
function execFrom(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

function compatible<T>(a: T | null, b: T | null): boolean {
  return a === null || b === null || a === b;
}

interface Pending {
  finding: NetworkErrorFinding;
  pid: number | null;
  tid: string | null;
}

/** Holds the latest candidate, merges follow-up lines into it and emits it when its window closes. */
export class NetworkTracker {
  private readonly emit: Emit;
  private pending: Pending | null = null;

  constructor(emit: Emit) {
    this.emit = emit;
  }

  /** Call for every record before {@link onCandidate}: emits a held candidate whose window has passed. */
  tick(r: LogRecord): void {
    this.tickLine(r.line);
  }

  /** {@link tick} for a line known only by its number. */
  tickLine(line: number): void {
    if (this.pending !== null && line - this.pending.finding.line > MERGE_WINDOW) this.flush();
  }

  /** A candidate read from `r`. */
  onCandidate(r: LogRecord, c: Candidate): void {
    const p = this.pending;
    if (p !== null) {
      const f = p.finding;
      if (
        sameThread(p, r) &&
        compatible(f.url, c.url) &&
        compatible(f.hresult, c.hresult) &&
        compatible(f.httpStatus, c.httpStatus)
      ) {
        f.url ??= detach(c.url);
        f.hresult ??= c.hresult;
        f.httpStatus ??= c.httpStatus ?? httpStatusFromHresult(f.hresult);
        return;
      }
      this.flush();
    }
    this.pending = {
      finding: {
        kind: 'network_error',
        line: r.line,
        time: r.time,
        hresult: c.hresult,
        url: detach(c.url),
        httpStatus: c.httpStatus,
      },
      pid: r.pid,
      tid: r.tid,
    };
  }

  /** The held candidate, copied (see {@link ParsedParserState}). */
  snapshot(): ParsedParserState['network'] {
    return copyState(this.pending);
  }

  /** Continues from a {@link snapshot}. */
  restore(state: ParsedParserState['network']): void {
    this.pending = copyState(state);
  }

  /** Emits the held candidate. */
  flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    this.emit(p.finding);
  }
}
