/**
 * WSUS reachability probe from the host itself (design §5): URL → DNS → TCP → (proxy CONNECT) → TLS →
 * `GET <WUServer>/selfupdate/wuident.cab` → `GET <WUServer>/ClientWebService/client.asmx`.
 * Each step is timed and bounded; the first failure decides the class and HRESULT. It contacts only the
 * configured URL's host and, when one applies, the proxy; redirects are reported, never followed.
 */
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { LIMITS } from '@wuwatch/core';
import type { ProbeData } from '@wuwatch/core';
import { chooseRoute } from './proxy.js';
import type { ProxyConfig, Route } from './proxy.js';
import * as tlsModule from 'node:tls';
import { connectTcp, fail, httpExchange, PROBE_HRESULT, resolveHost, startTls, systemLookup } from './steps.js';
import type { LookupFn, StepFailure, StepResult } from './steps.js';

/** Per-step timeouts in milliseconds. */
export interface ProbeTimeouts {
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  httpMs: number;
}

/** Suggested timeouts (design §5; WinHTTP's own are 60 s connect, 30 s send/receive). */
export const DEFAULT_PROBE_TIMEOUTS: Readonly<ProbeTimeouts> = Object.freeze({
  dnsMs: 5000,
  tcpMs: 10_000,
  tlsMs: 10_000,
  httpMs: 30_000,
});

/** Options of {@link probeWsus}. */
export interface ProbeOptions {
  timeouts?: Partial<ProbeTimeouts>;
  /** The WinHTTP system proxy, or null/absent for direct access. */
  proxy?: ProxyConfig | null;
  /** Extra trusted roots (PEM or DER) for https: the agent's wsusCaFile. */
  ca?: Buffer[];
  /** Where `ca` came from, named in a TLS failure (e.g. "wsusCaFile C:\\ca.pem"). */
  caLabel?: string;
  /** Also trust the system's certificate store (default true; on Windows: the machine's, with enterprise roots). */
  systemCa?: boolean;
  /** DNS lookup; the system resolver by default. */
  lookup?: LookupFn;
  /** Monotonic clock in ms for step timings (performance.now by default). */
  now?: () => number;
}

let systemRoots: string[] | null = null;

/**
 * The system's trusted roots, read once: on Windows Node reads the certificate stores Windows itself trusts (the
 * machine's Trusted Root store, enterprise roots pushed by Group Policy included), which is what WinHTTP, and so
 * Windows Update, checks a WSUS certificate against. Empty when this Node cannot read them.
 */
export function systemRootCertificates(): string[] {
  if (systemRoots === null) {
    const get = (tlsModule as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
    try {
      systemRoots = get ? get('system') : [];
    } catch {
      systemRoots = [];
    }
  }
  return systemRoots;
}

/** What the WSUS probe trusts and how a failure names it. */
export function probeTrust(opts: Pick<ProbeOptions, 'ca' | 'caLabel' | 'systemCa'>): {
  ca: (string | Buffer)[];
  label: string;
} {
  const system = opts.systemCa === false ? [] : systemRootCertificates();
  const extra = opts.ca ?? [];
  const label = [
    "Node's bundled roots",
    ...(system.length > 0 ? ["this machine's certificate store"] : []),
    ...(extra.length > 0 ? [opts.caLabel ?? 'wsusCaFile'] : []),
  ].join(', ');
  return { ca: [...system, ...extra], label };
}

type StepName = 'dns' | 'tcp' | 'proxy' | 'tls' | 'http' | 'asmx';
type FailedStep = NonNullable<ProbeData['failedStep']>;
type Timer = <T>(name: StepName, run: () => Promise<StepResult<T>>) => Promise<StepResult<T>>;
type Channel = { ok: true; socket: Duplex } | { ok: false; step: FailedStep; failure: StepFailure };

/** A WSUS URL split into what the probe needs. */
export interface WsusTarget {
  protocol: 'http:' | 'https:';
  /** Host without IPv6 brackets, for DNS, TCP and TLS. */
  hostname: string;
  port: number;
  /** `Host` header value (brackets kept, default port omitted). */
  hostHeader: string;
  /** Path of WUServer without trailing slash ('' for the usual `http://wsus:8530`). */
  basePath: string;
}

const USER_AGENT = 'wuwatch-probe/1';
const WUIDENT_PATH = 'selfupdate/wuident.cab';
const ASMX_PATH = 'ClientWebService/client.asmx';

/** Parses a WUServer value; fails like WinHTTP for an unknown scheme (EE6) or an invalid URL (EE5). */
export function parseWsusUrl(url: string): StepResult<WsusTarget> {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return fail('invalid_url', PROBE_HRESULT.invalidUrl, `"${url}" is not a valid URL: fix WUServer in Group Policy`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return fail(
      'invalid_url',
      PROBE_HRESULT.unrecognizedScheme,
      `"${url}" does not start with http:// or https://: fix WUServer in Group Policy`,
    );
  }
  if (u.hostname === '') return fail('invalid_url', PROBE_HRESULT.invalidUrl, `"${url}" has no host name`);
  const defaultPort = u.protocol === 'https:' ? 443 : 80;
  const port = u.port === '' ? defaultPort : Number(u.port);
  const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return {
    ok: true,
    value: {
      protocol: u.protocol,
      hostname,
      port,
      hostHeader: port === defaultPort ? u.hostname : `${u.hostname}:${port}`,
      basePath: u.pathname.replace(/\/+$/, ''),
    },
  };
}

/** Maps a non-200 answer to the probe's class and the BITS HRESULT `0x80190000 + status`. */
export function httpStatusFailure(status: number, what: string): StepFailure {
  const hresult = '0x' + (0x80190000 + status).toString(16).toUpperCase();
  if (status === 407) {
    return {
      class: 'proxy_auth',
      hresult,
      httpStatus: status,
      message: `${what}: HTTP 407, the proxy wants credentials`,
    };
  }
  return { class: 'http_status', hresult, httpStatus: status, message: `${what}: HTTP ${status}${statusHint(status)}` };
}

function statusHint(status: number): string {
  if (status === 503) return ', the WSUS application pool (WsusPool) is probably stopped or overloaded';
  if (status === 502 || status === 504) return ', a gateway or proxy could not reach the WSUS server';
  if (status === 408) return ', the server timed out waiting for the request';
  if (status === 404) return ', wrong port or virtual directory: is this a WSUS server?';
  if (status === 401 || status === 403) return ', access denied by IIS';
  if (status === 500) return ', WSUS server error';
  if (status >= 300 && status < 400) return ', a redirect (not followed; WU would not follow it either)';
  return '';
}

/** Probes one WSUS URL and returns the wire `probe` event data. Never throws for network trouble. */
export async function probeWsus(url: string, opts: ProbeOptions = {}): Promise<ProbeData> {
  const timeouts: ProbeTimeouts = { ...DEFAULT_PROBE_TIMEOUTS, ...opts.timeouts };
  const now = opts.now ?? (() => performance.now());
  const steps: ProbeData['steps'] = [];
  const parsed = parseWsusUrl(url);
  if (!parsed.ok) return result(url, 'url', parsed.failure, steps);
  const target = parsed.value;
  const route = chooseRoute(target, opts.proxy);
  const via = route.kind === 'proxy' ? ` via proxy ${route.proxy.display}` : '';
  const sockets: Duplex[] = [];

  const timed: Timer = async (name, run) => {
    const started = now();
    const r = await run();
    steps.push({ step: name, ms: Math.max(0, Math.round((now() - started) * 10) / 10), ok: r.ok });
    return r;
  };
  const untimed: Timer = (_name, run) => run();

  try {
    const endpoint = route.kind === 'proxy' ? route.proxy : { host: target.hostname, port: target.port };
    const dns = await timed('dns', () => resolveHost(endpoint.host, opts.lookup ?? systemLookup, timeouts.dnsMs));
    if (!dns.ok) return result(url, 'dns', atProxy(dns.failure, route), steps);
    const address = dns.value.address;

    const openChannel = async (time: Timer): Promise<Channel> => {
      const tcp = await time('tcp', () => connectTcp(address, endpoint.port, timeouts.tcpMs));
      if (!tcp.ok) return { ok: false, step: 'tcp', failure: atProxy(tcp.failure, route) };
      sockets.push(tcp.value);
      if (route.kind === 'proxy' && target.protocol === 'https:') {
        const tunnel = await time('proxy', () => proxyConnect(tcp.value, target, route, timeouts.httpMs));
        // 407 is an HTTP-level answer like a 407 to a GET; anything else means no path to the server.
        if (!tunnel.ok)
          return { ok: false, step: tunnel.failure.class === 'proxy_auth' ? 'http' : 'tcp', failure: tunnel.failure };
      }
      if (target.protocol === 'http:') return { ok: true, socket: tcp.value };
      const trust = probeTrust(opts);
      const tls = await time('tls', () => startTls(tcp.value, target.hostname, trust.ca, timeouts.tlsMs, trust.label));
      if (!tls.ok) return { ok: false, step: 'tls', failure: tls.failure };
      sockets.push(tls.value);
      return { ok: true, socket: tls.value };
    };

    const channel = await openChannel(timed);
    if (!channel.ok) return result(url, channel.step, channel.failure, steps);
    const wuidentUrl = absoluteUrl(target, WUIDENT_PATH);
    const what = `GET ${wuidentUrl}${via}`;
    const wuident = await timed('http', async (): Promise<StepResult<200>> => {
      const r = await httpExchange(channel.socket, buildGet(target, WUIDENT_PATH, route), timeouts.httpMs);
      if (!r.ok) return { ok: false, failure: prefix(r.failure, what) };
      return r.value.status === 200
        ? { ok: true, value: 200 }
        : { ok: false, failure: httpStatusFailure(r.value.status, what) };
    });
    channel.socket.destroy();
    if (!wuident.ok) return result(url, 'http', wuident.failure, steps);

    // The SOAP endpoint WU talks to next: any IIS answer (401/403 too) shows the vdir exists; 404 does not.
    const asmx = await timed('asmx', async (): Promise<StepResult<number>> => {
      const c = await openChannel(untimed);
      if (!c.ok) return { ok: false, failure: c.failure };
      const r = await httpExchange(c.socket, buildGet(target, ASMX_PATH, route), timeouts.httpMs);
      c.socket.destroy();
      if (!r.ok) return r;
      if (r.value.status === 404) return fail('http_status', '0x80190194', 'HTTP 404', 404);
      return { ok: true, value: r.value.status };
    });
    const asmxText = asmx.ok
      ? `client.asmx answered HTTP ${asmx.value}`
      : `but ${absoluteUrl(target, ASMX_PATH)} failed: ${asmx.failure.message}`;
    return {
      url: clip(url),
      class: 'ok',
      ok: true,
      httpStatus: 200,
      failedStep: null,
      hresult: null,
      message: clip(`GET ${wuidentUrl}${via}: HTTP 200; ${asmxText}`),
      steps,
    };
  } finally {
    for (const s of sockets) s.destroy();
  }
}

// CONNECT host:port through the proxy; the raw socket then carries the TLS handshake to the server.
async function proxyConnect(
  socket: Duplex,
  target: WsusTarget,
  route: Route,
  timeoutMs: number,
): Promise<StepResult<true>> {
  if (route.kind !== 'proxy') return { ok: true, value: true };
  const authority = `${target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname}:${target.port}`;
  const auth = route.proxy.authorization === null ? '' : `Proxy-Authorization: ${route.proxy.authorization}\r\n`;
  const request = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: ${USER_AGENT}\r\n${auth}\r\n`;
  const what = `CONNECT ${authority} via proxy ${route.proxy.display}`;
  const r = await httpExchange(socket, request, timeoutMs);
  if (!r.ok) return { ok: false, failure: prefix(r.failure, what) };
  if (r.value.status < 200 || r.value.status > 299)
    return { ok: false, failure: httpStatusFailure(r.value.status, what) };
  return { ok: true, value: true };
}

/** The GET request text: origin-form direct or through a CONNECT tunnel, absolute-form to an http proxy. */
export function buildGet(target: WsusTarget, relPath: string, route: Route): string {
  const path = `${target.basePath}/${relPath}`;
  const viaHttpProxy = route.kind === 'proxy' && target.protocol === 'http:';
  const requestTarget = viaHttpProxy ? absoluteUrl(target, relPath) : path;
  const auth =
    viaHttpProxy && route.proxy.authorization !== null ? `Proxy-Authorization: ${route.proxy.authorization}\r\n` : '';
  return (
    `GET ${requestTarget} HTTP/1.1\r\nHost: ${target.hostHeader}\r\nUser-Agent: ${USER_AGENT}\r\n` +
    `Accept: */*\r\nConnection: close\r\n${auth}\r\n`
  );
}

function absoluteUrl(target: WsusTarget, relPath: string): string {
  return `${target.protocol}//${target.hostHeader}${target.basePath}/${relPath}`;
}

function result(url: string, failedStep: FailedStep, failure: StepFailure, steps: ProbeData['steps']): ProbeData {
  return {
    url: clip(url),
    class: failure.class,
    ok: false,
    httpStatus: failure.httpStatus,
    failedStep,
    hresult: failure.hresult,
    message: clip(failure.message),
    steps,
  };
}

// DNS and TCP failures on a proxied route concern the proxy, not the WSUS server: say so.
function atProxy(failure: StepFailure, route: Route): StepFailure {
  return route.kind === 'proxy' ? { ...failure, message: `proxy ${route.proxy.display}: ${failure.message}` } : failure;
}

function prefix(failure: StepFailure, what: string): StepFailure {
  return { ...failure, message: `${what}: ${failure.message}` };
}

function clip(text: string): string {
  return text.length <= LIMITS.maxTextField ? text : text.slice(0, LIMITS.maxTextField - 1) + '…';
}
