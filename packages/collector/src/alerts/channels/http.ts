/** HTTP POST for the webhook-style channels: timeout, no redirects, and a failure that says why. */
import { httpReason } from '@wuwatch/core';
import type { Notification } from '../types.js';
import { deliveryError, type Channel, type DeliveryFailure } from './channel.js';

/** Longest part of an error answer quoted in the failure (Slack answers `invalid_payload`, `no_service`). */
const BODY_EXCERPT = 200;

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved right now',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection failed',
};

/** What a POST needs; `target` is the redacted URL used in messages. */
export interface PostRequest {
  url: string;
  target: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns a fetch rejection into a failure; the message names the cause, never the full URL. */
export function networkFailure(err: unknown, req: Pick<PostRequest, 'target' | 'timeoutMs'>): DeliveryFailure {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { reason: `${req.target} did not answer within ${req.timeoutMs} ms`, retryable: true, code: 'TIMEOUT' };
  }
  const code = errorCode(err);
  const known = code === undefined ? undefined : NETWORK_REASONS[code];
  if (known !== undefined) return { reason: `${req.target}: ${known} (${code})`, retryable: true, code };
  if (code !== undefined && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return { reason: `${req.target}: TLS failed (${code}); check the receiver's certificate`, retryable: true, code };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { reason: `${req.target}: ${message}${code ? ` (${code})` : ''}`, retryable: true, ...(code ? { code } : {}) };
}

function excerpt(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  return clean.length > BODY_EXCERPT ? `${clean.slice(0, BODY_EXCERPT)}…` : clean;
}

/**
 * Moves user info out of a URL into an Authorization header: fetch refuses URLs with credentials, and its error
 * message would quote the whole URL, password included, into the delivery error and the log.
 */
function withBasicAuth(raw: string, headers: Record<string, string>): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw, headers };
  }
  if (!u.username && !u.password) return { url: raw, headers };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { ...headers, authorization: `Basic ${basic}` } };
}

/** POSTs the body; resolves on 2xx, otherwise resolves with the failure (the caller wraps it in its error). */
export async function post(req: PostRequest): Promise<DeliveryFailure | null> {
  let res: Response;
  try {
    const { url, headers } = withBasicAuth(req.url, req.headers);
    res = await fetch(url, {
      method: 'POST',
      headers,
      body: req.body,
      // A redirect usually means a wrong or moved URL; following it would resend the body somewhere unplanned.
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    return networkFailure(err, req);
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The status alone decides; an unreadable error body only loses the excerpt.
  }
  if (res.status >= 200 && res.status < 300) return null;
  const quoted = text ? `: ${excerpt(text)}` : '';
  const redirect =
    res.status >= 300 && res.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
  return {
    reason: `${req.target} answered HTTP ${res.status} ${httpReason(res.status)}${redirect}${quoted}`,
    retryable: res.status >= 500 || res.status === 408 || res.status === 429,
    status: res.status,
  };
}

/** What makes a channel that POSTs one JSON document per notification. */
export interface JsonPostChannelSpec {
  name: string;
  type: Channel['type'];
  /** The URL with its secrets (sent to), and the same without them (in messages). */
  url: string;
  target: string;
  timeoutMs: number;
  /** The request body and its headers for one notification. */
  request(n: Notification): { body: string; headers: Record<string, string> };
}

/** A channel that POSTs each notification as JSON and fails with the reason the receiver or the network gave. */
export function jsonPostChannel(spec: JsonPostChannelSpec): Channel {
  const channel: Channel = {
    name: spec.name,
    type: spec.type,
    target: spec.target,
    async send(n: Notification): Promise<void> {
      const { body, headers } = spec.request(n);
      const failure = await post({ url: spec.url, target: spec.target, headers, body, timeoutMs: spec.timeoutMs });
      if (failure) throw deliveryError(channel, failure);
    },
    async close(): Promise<void> {},
  };
  return channel;
}
