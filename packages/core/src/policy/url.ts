/** WSUS server URLs: validation and the canonical form used to group machines by server. */

/** A WSUS URL as Windows would use it: scheme, host and port, or why it is unusable. */
export type WsusUrlCheck = { ok: true; url: URL } | { ok: false; reason: 'empty' | 'unparsable' | 'scheme' };

/** Parses a WUServer-style value; only http and https with a host are usable (anything else fails 0x80072EE6/EE5). */
export function checkWsusUrl(raw: string): WsusUrlCheck {
  const text = raw.trim();
  if (text === '') return { ok: false, reason: 'empty' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'unparsable' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'scheme' };
  if (url.hostname === '') return { ok: false, reason: 'unparsable' };
  return { ok: true, url };
}

/**
 * Canonical form for grouping servers: `scheme://host[:port]`, scheme and host lower-case, default ports
 * (80 for http, 443 for https) dropped, other ports kept, path, query, credentials and trailing slash dropped.
 * `HTTP://WSUS01.corp.example:8530/ClientWebService/` → `http://wsus01.corp.example:8530`. Null when not http(s).
 */
export function normalizeWsusUrl(url: string): string | null {
  const checked = checkWsusUrl(url);
  if (!checked.ok) return null;
  // WHATWG URL already lower-cases scheme and host (and punycodes IDNs) and empties default ports.
  return `${checked.url.protocol}//${checked.url.host}`;
}

/** The key WUServer and WUStatusServer are compared by: trimmed, trailing slashes dropped, lower-case. */
export function wsusCompareKey(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}
