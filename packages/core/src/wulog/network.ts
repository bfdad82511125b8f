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
import { detach, hexCode, labelledCode, sameThread } from './codes.js';
import { httpStatusFromHresult } from './http-status.js';
import type { LogRecord, NetworkErrorFinding } from './types.js';

type Emit = (finding: NetworkErrorFinding) => void;

/** Lines after which a held candidate is emitted even if nothing merged into it. */
const MERGE_WINDOW = 6;

const URL_PATTERN = String.raw`<?['"‘’]?((?:[hH][tT][tT][pP][sS]?|[fF][tT][pP]):\/\/[^\s<>'"‘’]+)`;
const FAILED_FOR_URL = new RegExp('failed for ' + URL_PATTERN, 'g');
const ENDPOINT_URL = new RegExp('endpoint at ' + URL_PATTERN, 'g');
const HTTP_STATUS = /HTTP status code\s*=\s*(\d{3})\b/gi;
const REQUEST_HR = /\b(?:SendRequest|Web service call) failed with hr\s*=\s*((?:0x)?[0-9A-Fa-f]{1,8})\b/g;
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
  if (text.startsWith('WS error:', at)) {
    const m = execFrom(ENDPOINT_URL, text, at);
    return m === null ? null : { hresult: null, url: trimUrl(m[1]!), httpStatus: null };
  }
  // indexOf gates keep the regexes off the many WARNING lines that are not request failures.
  if (text.indexOf('fail', at) < 0) return null;
  const urlMatch = text.indexOf('failed for ', at) >= 0 ? execFrom(FAILED_FOR_URL, text, at) : null;
  const status = text.indexOf('HTTP status code', at) >= 0 ? execFrom(HTTP_STATUS, text, at) : null;
  const request = text.indexOf('failed with hr', at) >= 0 ? execFrom(REQUEST_HR, text, at) : null;
  if (urlMatch === null && status === null && request === null) return null;
  const hresult =
    request !== null
      ? hexCode(request[1])
      : labelledCode(text, urlMatch === null ? at : urlMatch.index + urlMatch[0].length);
  return {
    hresult,
    url: urlMatch === null ? null : trimUrl(urlMatch[1]!),
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
    if (this.pending !== null && r.line - this.pending.finding.line > MERGE_WINDOW) this.flush();
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

  /** Emits the held candidate. */
  flush(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    this.emit(p.finding);
  }
}
