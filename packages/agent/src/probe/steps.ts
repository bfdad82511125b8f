/**
 * The network steps of a WSUS probe (design §5), each bounded by its own timeout and each returning a
 * result instead of throwing, so the probe can time and classify them one by one. Failures carry the
 * HRESULT WinHTTP would have reported for the same condition.
 */
import { promises as dns } from 'node:dns';
import { isIP, connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { ProbeClass } from '@wuwatch/core';

/** HRESULTs the probe reports (WinHTTP 0x80072xxx, BITS HTTP 0x8019xxxx). */
export const PROBE_HRESULT = Object.freeze({
  invalidUrl: '0x80072EE5',
  unrecognizedScheme: '0x80072EE6',
  nameNotResolved: '0x80072EE7',
  timeout: '0x80072EE2',
  cannotConnect: '0x80072EFD',
  connectionError: '0x80072EFE',
  connectionReset: '0x80072EFF',
  invalidServerResponse: '0x80072F78',
  secureFailure: '0x80072F8F',
  certDateInvalid: '0x80072F05',
  certCnInvalid: '0x80072F06',
  invalidCa: '0x80072F0D',
  invalidCert: '0x80072F89',
  certRevoked: '0x80072F8A',
});

/** Why a step failed, in the probe's vocabulary. */
export interface StepFailure {
  class: Exclude<ProbeClass, 'ok'>;
  hresult: string;
  message: string;
  httpStatus: number | null;
}

/** Outcome of one step. */
export type StepResult<T> = { ok: true; value: T } | { ok: false; failure: StepFailure };

/** A DNS lookup: resolves a host name to one address (injectable so tests never query real DNS). */
export type LookupFn = (hostname: string) => Promise<{ address: string; family: number }>;

/** Status line and headers of an HTTP answer; `rest` are bytes that arrived after the head. */
export interface HttpHead {
  status: number;
  reason: string;
  headers: Record<string, string>;
  rest: Buffer;
}

const MAX_HEAD_BYTES = 64 * 1024;

/** The system resolver (getaddrinfo, like WinHTTP). */
export const systemLookup: LookupFn = (hostname) => dns.lookup(hostname);

/** Builds a failed step result. */
export function fail<T>(
  cls: StepFailure['class'],
  hresult: string,
  message: string,
  httpStatus: number | null = null,
): StepResult<T> {
  return { ok: false, failure: { class: cls, hresult, message, httpStatus } };
}

/** Step 1: resolves `host` (IP literals need no lookup). */
export async function resolveHost(
  host: string,
  lookup: LookupFn,
  timeoutMs: number,
): Promise<StepResult<{ address: string; family: number }>> {
  const family = isIP(host);
  if (family !== 0) return { ok: true, value: { address: host, family } };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<StepResult<{ address: string; family: number }>>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(fail('dns', PROBE_HRESULT.nameNotResolved, `DNS lookup of ${host} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const lookedUp = lookup(host).then(
    (value): StepResult<{ address: string; family: number }> => ({ ok: true, value }),
    (err: unknown) =>
      fail<{ address: string; family: number }>(
        'dns',
        PROBE_HRESULT.nameNotResolved,
        `cannot resolve ${host} (${errCode(err) ?? errMessage(err)}): check DNS and the host name`,
      ),
  );
  try {
    return await Promise.race([lookedUp, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Step 2: opens a TCP connection. */
export function connectTcp(address: string, port: number, timeoutMs: number): Promise<StepResult<Socket>> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port });
    const where = `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(fail('timeout', PROBE_HRESULT.timeout, `TCP connect to ${where} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // later steps watch their own failures
      resolve({ ok: true, value: socket });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      const code = errCode(err);
      if (code === 'ETIMEDOUT') {
        resolve(fail('timeout', PROBE_HRESULT.timeout, `TCP connect to ${where} timed out (${code})`));
        return;
      }
      const hint = code === 'ECONNREFUSED' ? ': nothing listens on that port' : '';
      resolve(
        fail('refused', PROBE_HRESULT.cannotConnect, `TCP connect to ${where} failed (${code ?? err.message})${hint}`),
      );
    });
  });
}

/** Step 3 (https): TLS handshake over the connected socket, verifying chain, name and dates. */
export function startTls(
  socket: Socket,
  host: string,
  ca: readonly (string | Buffer)[] | undefined,
  timeoutMs: number,
  trusted = "Node's bundled roots",
): Promise<StepResult<TLSSocket>> {
  return new Promise((resolve) => {
    const options: ConnectionOptions = { socket, host, rejectUnauthorized: true };
    // Extra roots add to Node's bundled ones: an internal CA must not hide the public ones.
    if (ca !== undefined && ca.length > 0) options.ca = [...rootCertificates, ...ca];
    // SNI must not carry an IP literal (RFC 6066); the identity check still uses `host`.
    if (isIP(host) === 0) options.servername = host;
    const tls = tlsConnect(options);
    const timer = setTimeout(() => {
      tls.destroy();
      resolve(fail('timeout', PROBE_HRESULT.timeout, `TLS handshake with ${host} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      tls.removeAllListeners('error');
      tls.on('error', () => undefined);
      resolve({ ok: true, value: tls });
    });
    tls.once('error', (err) => {
      clearTimeout(timer);
      tls.destroy();
      resolve({ ok: false, failure: tlsFailure(err, host, trusted) });
    });
  });
}

const CERT_DATE = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
]);
const CERT_NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const CERT_CA = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);
const CERT_INVALID = new Set([
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_PURPOSE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
]);

/**
 * Maps a Node TLS error to the WinHTTP certificate / secure-channel HRESULT. `trusted` names the roots the WSUS probe
 * used (the collector connection has its own, `caFile`), so an untrusted chain says which trust it failed.
 */
export function tlsFailure(err: unknown, host: string, trusted = "Node's bundled roots"): StepFailure {
  const code = errCode(err) ?? '';
  const detail = `${code === '' ? '' : `${code}: `}${errMessage(err)}`;
  let hresult: string = PROBE_HRESULT.secureFailure;
  let hint = 'TLS handshake failed (protocol or cipher mismatch, or TLS 1.2 disabled on the server?)';
  if (CERT_DATE.has(code)) {
    hresult = PROBE_HRESULT.certDateInvalid;
    hint = 'the server certificate is expired or not yet valid';
  } else if (CERT_NAME.has(code)) {
    hresult = PROBE_HRESULT.certCnInvalid;
    hint = `the server certificate does not name ${host}`;
  } else if (CERT_CA.has(code)) {
    hresult = PROBE_HRESULT.invalidCa;
    hint =
      `the WSUS server certificate is not issued by a CA the probe trusts (${trusted}): put the internal root CA ` +
      "in the machine's Trusted Root Certification Authorities store, or give its PEM as wsusCaFile";
  } else if (code === 'CERT_REVOKED') {
    hresult = PROBE_HRESULT.certRevoked;
    hint = 'the server certificate is revoked';
  } else if (CERT_INVALID.has(code)) {
    hresult = PROBE_HRESULT.invalidCert;
    hint = 'the server certificate is invalid';
  }
  return { class: 'tls', hresult, message: `${hint} (${detail})`, httpStatus: null };
}

/**
 * Step 4/5: writes one HTTP/1.1 request and reads the answer's head (status and headers only).
 * Any bytes after the head stay in `rest`; the socket is paused, not closed.
 */
export function httpExchange(socket: Duplex, request: string, timeoutMs: number): Promise<StepResult<HttpHead>> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (result: StepResult<HttpHead>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onClosed);
      socket.off('close', onClosed);
      socket.off('error', onError);
      socket.pause();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish(fail('timeout', PROBE_HRESULT.timeout, `no HTTP answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      if (buf.length >= 5 && buf.subarray(0, 5).toString('latin1') !== 'HTTP/') {
        finish(invalidResponse('the answer is not HTTP (wrong scheme for this port?)'));
        return;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) finish(invalidResponse('HTTP header larger than 64 KiB'));
        return;
      }
      const head = parseHead(buf.subarray(0, end).toString('latin1'));
      finish(
        head === null
          ? invalidResponse('malformed HTTP status line')
          : { ok: true, value: { ...head, rest: buf.subarray(end + 4) } },
      );
    };
    const onClosed = () =>
      finish(
        fail(
          'refused',
          PROBE_HRESULT.connectionError,
          'the server closed the connection without an HTTP answer (http:// to an https port?)',
        ),
      );
    const onError = (err: Error) =>
      finish(
        fail(
          'refused',
          errCode(err) === 'ECONNRESET' ? PROBE_HRESULT.connectionReset : PROBE_HRESULT.connectionError,
          `connection failed during the HTTP request (${errCode(err) ?? err.message})`,
        ),
      );
    socket.on('data', onData);
    socket.once('end', onClosed);
    socket.once('close', onClosed);
    socket.on('error', onError);
    socket.resume();
    socket.write(request);
  });
}

function invalidResponse(why: string): StepResult<HttpHead> {
  return fail('http_status', PROBE_HRESULT.invalidServerResponse, `invalid server response: ${why}`);
}

function parseHead(text: string): Omit<HttpHead, 'rest'> | null {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(statusLine);
  if (m === null) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers };
}

/** Error code of a Node system error, if any. */
export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
