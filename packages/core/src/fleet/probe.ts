/**
 * What one WSUS probe says about the server, as every consumer (status, alerts, the WSUS servers view, the dashboard,
 * the CLI through the API) must read it. The HTTP part is the catalogue's classifyHttpStatus: a gateway or proxy
 * status means nothing usable answered, any other 4xx/5xx means the server answered wrongly.
 */
import { classifyHttpStatus } from '../catalogue/http.js';
import type { ProbeData } from '../protocol/schemas.js';

/** The fields of a probe result the fleet rules read. */
export type ProbeFacts = Pick<ProbeData, 'ok' | 'class' | 'httpStatus'>;

/**
 * `ok` the server answered as WSUS; `unreachable` nothing usable answered (DNS, refused, timeout, TLS, proxy, 407/408,
 * 502/503/504); `server_error` something answered, wrongly (HTTP 500, 404, …); `invalid_url` the pointer is not a URL.
 */
export type ProbeReach = 'ok' | 'unreachable' | 'server_error' | 'invalid_url';

/** Probe classes where the connection never produced an HTTP answer from the server. */
const NO_ANSWER: ReadonlySet<ProbeData['class']> = new Set(['dns', 'refused', 'timeout', 'tls', 'proxy_auth']);

/** Classifies one probe result (the single definition of "unreachable" for a WSUS server). */
export function probeReach(p: ProbeFacts): ProbeReach {
  if (p.ok) return 'ok';
  if (NO_ANSWER.has(p.class)) return 'unreachable';
  if (p.class === 'invalid_url') return 'invalid_url';
  if (p.class === 'http_status' && p.httpStatus !== null && classifyHttpStatus(p.httpStatus) === 'unreachable') {
    return 'unreachable';
  }
  // An HTTP answer that is not a gateway failure, or a result the agent could not class: the server is there.
  return 'server_error';
}

/** True when the probe says the server cannot be reached from the machine. */
export function isUnreachableProbe(p: ProbeFacts): boolean {
  return probeReach(p) === 'unreachable';
}
