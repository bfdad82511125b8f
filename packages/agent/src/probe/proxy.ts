/**
 * WinHTTP-style proxy selection, pure. Node ignores the WinHTTP system proxy, so the probe applies it
 * itself (design §5): proxy string and bypass list as `netsh winhttp show proxy` shows them.
 */

/** The system proxy as read from WinHTTP: proxy server string and bypass entries. */
export interface ProxyConfig {
  /** `host:port`, `http://host:port`, `http://user:pass@host:port` or per scheme `http=h:80;https=h:8443`. */
  url: string;
  /** Bypass entries (`<local>`, `*.corp.example`, `10.*`, `wsus01:8530`); `;`/space-separated strings are split. */
  bypass: string[];
}

/** A proxy to connect to. */
export interface ProxyEndpoint {
  host: string;
  port: number;
  /** `Proxy-Authorization` value when the proxy string carried credentials. */
  authorization: string | null;
  /** `host:port` for messages (never the credentials). */
  display: string;
}

/** How the probe reaches the target. */
export type Route = { kind: 'direct' } | { kind: 'proxy'; proxy: ProxyEndpoint };

/** The target as the probe sees it. */
export interface RouteTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
}

/** Splits raw bypass entries on `;`, `,` and whitespace, dropping empties. */
export function parseBypassList(entries: readonly string[] | string): string[] {
  const raw = typeof entries === 'string' ? [entries] : entries;
  return raw.flatMap((e) => e.split(/[;,\s]+/)).filter((e) => e !== '');
}

/** True when `host` (and `port`) matches the bypass list, so the probe goes direct. */
export function isBypassed(host: string, port: number, bypass: readonly string[] | string): boolean {
  const h = stripBrackets(host).toLowerCase();
  for (const entry of parseBypassList(bypass)) {
    if (entry.toLowerCase() === '<local>') {
      // WinHTTP: "<local>" is every host name without a period (so not dotted IPs or FQDNs).
      if (!h.includes('.') && !h.includes(':')) return true;
      continue;
    }
    const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(\[[^\]]+\]|[^:/]+)(?::(\d+|\*))?\/?$/i.exec(entry);
    if (m === null) continue;
    const [, hostPattern = '', portPattern] = m;
    if (portPattern !== undefined && portPattern !== '*' && Number(portPattern) !== port) continue;
    if (globMatch(stripBrackets(hostPattern).toLowerCase(), h)) return true;
  }
  return false;
}

/** Parses the proxy string for the target's scheme; null when it names no proxy for it. */
export function parseProxy(url: string, scheme: 'http' | 'https'): ProxyEndpoint | null {
  const entries = url.split(/[;\s]+/).filter((e) => e !== '');
  // Per-scheme entries win; a bare entry serves every scheme (WinHTTP proxy string rules).
  const perScheme = entries.find((e) => e.toLowerCase().startsWith(`${scheme}=`));
  const chosen = perScheme?.slice(scheme.length + 1) ?? entries.find((e) => !/^[a-z]+=/i.test(e));
  if (chosen === undefined || chosen === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(chosen) ? chosen : `http://${chosen}`);
  } catch {
    return null;
  }
  if (parsed.hostname === '') return null;
  const host = stripBrackets(parsed.hostname);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const authorization =
    parsed.username === ''
      ? null
      : 'Basic ' +
        Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64');
  return { host, port, authorization, display: `${parsed.hostname}:${port}` };
}

/** Chooses direct or proxy for a target, applying the bypass list. */
export function chooseRoute(target: RouteTarget, proxy: ProxyConfig | null | undefined): Route {
  if (proxy === null || proxy === undefined) return { kind: 'direct' };
  const endpoint = parseProxy(proxy.url, target.protocol === 'https:' ? 'https' : 'http');
  if (endpoint === null) return { kind: 'direct' };
  if (isBypassed(target.hostname, target.port, proxy.bypass)) return { kind: 'direct' };
  return { kind: 'proxy', proxy: endpoint };
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map(escapeRegExp).join('.*') + '$');
  return re.test(value);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
