/**
 * Enrollment: exchange the one-time secret for this agent's own id and token.
 * Over node:http/https rather than fetch: Node's fetch (undici) cannot connect under Wine, and https.request takes
 * the collector's private CA (`caFile`) the same way the WebSocket transport does.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Backoff, makeError, isWuwatchError, type WuwatchError } from '@wuwatch/core';
import { collectorKey, parseCollectorUrls } from '../config/collector-urls.js';
import { readCredentials, writeCredentials, type Credentials } from './credentials.js';

/** Largest enrollment answer read (it is a small JSON object). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** What {@link ensureEnrolled} needs. */
export interface EnrollOptions {
  /**
   * The collector's URL, or several (a list, or one string with commas): collectors that share one database, tried
   * in order until one answers. The token any of them gives is valid on all.
   */
  collectorUrl: string | readonly string[];
  enrollSecret: string | undefined;
  stateDir: string;
  hostname: string;
  /** PEM of a private CA that signed the collector's certificate. */
  caFile?: string | undefined;
  force?: boolean;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/**
 * Enrolls with the first collector that answers and stores the result; returns the existing credentials if this
 * agent already enrolled with one of the listed collectors (they share one database, so its token is good on all).
 */
export async function ensureEnrolled(opts: EnrollOptions): Promise<Credentials> {
  const urls = parseCollectorUrls(opts.collectorUrl);
  const existing = await readCredentials(opts.stateDir);
  const enrolledWith = existing ? collectorKey(existing.collectorUrl) : null;
  if (existing && !opts.force && urls.some((u) => collectorKey(u) === enrolledWith)) return existing;
  if (!opts.enrollSecret) {
    throw makeError('CONFIG_INVALID', [
      'this agent has no token yet and no enrollment secret was given (set "enrollSecret" or run "wuwatch-agent enroll --secret …")',
    ]);
  }
  const ca = opts.caFile ? await readCa(opts.caFile) : undefined;
  const body = JSON.stringify({ secret: opts.enrollSecret, hostname: opts.hostname });
  const failures: WuwatchError[] = [];
  for (const collectorUrl of urls) {
    let answer: { agentId: string; token: string };
    try {
      answer = await enrollAt(collectorUrl, body, ca, opts.timeoutMs ?? 30_000);
    } catch (err) {
      // Down, failing or not a collector: the next one may answer. A rejected secret is rejected by every collector
      // of the same database, and a bad URL stays bad: those end the round.
      if (!isWuwatchError(err, 'ENROLL_FAILED')) throw err;
      failures.push(err);
      continue;
    }
    const creds = { ...answer, collectorUrl };
    await writeCredentials(opts.stateDir, creds);
    return creds;
  }
  if (failures.length === 1) throw failures[0]!;
  const reasons = failures
    .map((f) => (typeof f.details?.reason === 'string' ? f.details.reason : f.message))
    .join('; ');
  throw makeError('ENROLL_FAILED', [`no collector answered (${reasons})`], { reason: reasons });
}

/** One enrollment request to one collector; ENROLL_FAILED (with `details.reason`) when it did not enroll us. */
async function enrollAt(
  collectorUrl: string,
  body: string,
  ca: Buffer | undefined,
  timeoutMs: number,
): Promise<{ agentId: string; token: string }> {
  const url = new URL(collectorUrl.replace(/\/+$/, '') + '/v1/enroll');
  // The collector URL may be given as ws(s)://; enrollment is plain HTTP(S) on the same port.
  if (url.protocol === 'ws:') url.protocol = 'http:';
  if (url.protocol === 'wss:') url.protocol = 'https:';
  const failed = (reason: string, cause?: unknown) =>
    makeError('ENROLL_FAILED', [reason], { reason, collectorUrl }, cause);
  const { status, text } = await post(url, body, ca, timeoutMs, failed);
  if (status === 401) throw makeError('ENROLL_SECRET_INVALID');
  if (status < 200 || status > 299) throw failed(`${url.href} answered HTTP ${status}`);
  let answer: { agentId?: unknown; token?: unknown };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw failed(`${url.href} answered something that is not JSON`);
  }
  if (typeof answer.agentId !== 'string' || typeof answer.token !== 'string' || !answer.agentId || !answer.token) {
    throw failed(`${url.href} answered without an agent id and token`);
  }
  return { agentId: answer.agentId, token: answer.token };
}

/** Options of {@link enrollWithRetry}. */
export interface RetryOptions {
  baseMs?: number;
  capMs?: number;
  /** Called before each wait, with the error and the delay. */
  onRetry?: (err: unknown, delayMs: number) => void;
  /** Aborting ends the waiting with the last error. */
  signal?: AbortSignal;
}

/**
 * {@link ensureEnrolled} until it succeeds: a service must keep running while its collector is unreachable or
 * failing (an agent installed before its collector is up must come up by itself), so those errors are retried with
 * backoff. A secret the collector rejects, or a configuration that cannot work, is final: retrying would not fix it,
 * so it is thrown for the process to exit with the error's message (the service wrapper's throttled restarts and its
 * log then say why until the operator fixes agent.json).
 */
export async function enrollWithRetry(opts: EnrollOptions, retry: RetryOptions = {}): Promise<Credentials> {
  const backoff = new Backoff({ baseMs: retry.baseMs ?? 2000, capMs: retry.capMs ?? 5 * 60_000, floorMs: 500 });
  for (;;) {
    try {
      return await ensureEnrolled(opts);
    } catch (err) {
      if (retry.signal?.aborted) throw err;
      if (isWuwatchError(err, 'ENROLL_SECRET_INVALID') || isWuwatchError(err, 'CONFIG_INVALID')) throw err;
      if (isWuwatchError(err, 'FILE_UNREADABLE')) throw err;
      const delay = backoff.fail();
      retry.onRetry?.(err, delay);
      await waitOrAbort(delay, retry.signal);
      if (retry.signal?.aborted) throw err;
    }
  }
}

function waitOrAbort(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function readCa(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw makeError('FILE_UNREADABLE', [file], undefined, err);
  }
}

function post(
  url: URL,
  body: string,
  ca: Buffer | undefined,
  timeoutMs: number,
  failed: (reason: string, cause?: unknown) => WuwatchError,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const fail = (err: Error & { code?: string }) => {
      if (isWuwatchError(err)) return reject(err);
      reject(failed(`cannot reach ${url.href} (${err.code ?? err.message})`, err));
    };
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    let req;
    if (url.protocol === 'https:') req = httpsRequest(url, { method: 'POST', headers, ...(ca ? { ca } : {}) });
    else if (url.protocol === 'http:') req = httpRequest(url, { method: 'POST', headers });
    else return reject(makeError('CONFIG_INVALID', [`collectorUrl "${url.href}" must be http(s):// or ws(s)://`]));
    req.setTimeout(timeoutMs, () =>
      req.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) {
          res.destroy();
          return reject(failed(`${url.href} answered more than ${MAX_ANSWER_BYTES} bytes`));
        }
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}
