/** HTTP statuses as Windows Update reports them (WU_E_PT_HTTP_STATUS_*, BG_E_HTTP_ERROR_*). */
import type { HresultClass } from './types.js';

// 407/408 and the gateway statuses mean nothing usable answered for the server: count them as unreachable.
const UNREACHABLE_STATUSES: ReadonlySet<number> = new Set([407, 408, 502, 503, 504]);

/** Classifies an HTTP status from the update server: 407/408/502/503/504 unreachable, other 4xx/5xx server_error. */
export function classifyHttpStatus(status: number): Exclude<HresultClass, 'unknown'> {
  if (UNREACHABLE_STATUSES.has(status)) return 'unreachable';
  if (Number.isInteger(status) && status >= 400 && status <= 599) return 'server_error';
  return 'other';
}

const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** The standard reason phrase for an HTTP status, or `HTTP status <n>` when it has none. */
export function httpReason(status: number): string {
  return REASONS[status] ?? `HTTP status ${status}`;
}
