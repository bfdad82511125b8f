/** Plain-words rendering of a WSUS probe result: the sentence, the headline fragment and the repair hint. */
import { classifyHttpStatus } from '@wuwatch/core';
import type { ProbeData } from '@wuwatch/core';

/** How a probe outcome counts for the diagnosis. */
export type ProbeKind = 'ok' | 'unreachable' | 'server_error' | 'proxy_auth' | 'invalid_url' | 'proxy';

/** A probe result read for a person. */
export interface ProbeWords {
  kind: ProbeKind;
  /** Sentence for the text, e.g. "That server answers HTTP 503 when probed from this machine (…)." */
  sentence: string;
  /** Short cause for the headline: "HTTP 503", "connection refused", … */
  short: string;
  /** What restoring the server means for this failure, used in the "To fix:" sentence. */
  restore: string;
}

const WUIDENT = 'GET /selfupdate/wuident.cab';

/** Reads a probe result. */
export function describeProbe(probe: ProbeData): ProbeWords {
  const { host, port } = hostAndPort(probe.url);
  const hr = probe.hresult === null ? '' : `, ${probe.hresult}`;
  const restoreDefault = `restore the server (check IIS and the WSUS Service on ${host})`;
  if (probe.ok) {
    return {
      kind: 'ok',
      sentence: `That server answers when probed from this machine (${WUIDENT}, HTTP 200).`,
      short: 'answers',
      restore: restoreDefault,
    };
  }
  const message = probe.message ?? '';
  // DNS and TCP failures on a proxied route concern the proxy (the probe prefixes its message with "proxy …").
  if (/^proxy /i.test(message) && (probe.class === 'dns' || probe.class === 'refused' || probe.class === 'timeout')) {
    return {
      kind: 'proxy',
      sentence: `The WinHTTP proxy cannot be reached from this machine (${message}${hr}).`,
      short: 'WinHTTP proxy unreachable',
      restore: 'restore the WinHTTP proxy, or add the server to its bypass list (netsh winhttp set proxy)',
    };
  }
  switch (probe.class) {
    case 'http_status': {
      const status = probe.httpStatus ?? 0;
      const unreachable = classifyHttpStatus(status) === 'unreachable';
      return {
        kind: unreachable ? 'unreachable' : 'server_error',
        sentence: `That server answers HTTP ${status} when probed from this machine (${WUIDENT}${hr}).`,
        short: `HTTP ${status}`,
        restore:
          status === 503
            ? `restore the server (on ${host}, start the WsusPool application pool in IIS and the WSUS Service)`
            : status === 404
              ? `correct the server or URL (HTTP 404 means a wrong port or virtual directory, or no WSUS on ${host})`
              : restoreDefault,
      };
    }
    case 'proxy_auth':
      return {
        kind: 'proxy_auth',
        sentence: `The WinHTTP proxy demands credentials when this machine probes that server (HTTP 407${hr}).`,
        short: 'proxy wants credentials (HTTP 407)',
        restore: `add ${host} to the WinHTTP bypass list (netsh winhttp set proxy) or let the proxy accept this machine`,
      };
    case 'refused':
      return {
        kind: 'unreachable',
        sentence: `That server refuses connections on port ${port} when probed from this machine (TCP connect${hr}).`,
        short: 'connection refused',
        restore: `restore the server (start IIS and the WSUS Service on ${host} and check that port ${port} is open)`,
      };
    case 'timeout':
      return {
        kind: 'unreachable',
        sentence: `That server does not answer when probed from this machine (${stepLabel(probe.failedStep)} timed out${hr}).`,
        short: 'timed out',
        restore: `restore the server (check that ${host} is running and that firewalls let port ${port} through)`,
      };
    case 'dns':
      return {
        kind: 'unreachable',
        sentence: `The server name ${host} does not resolve from this machine (DNS lookup${hr}).`,
        short: 'name does not resolve',
        restore: `restore the DNS name ${host} or correct the URL in the policy`,
      };
    case 'tls':
      return {
        kind: 'unreachable',
        sentence: `The TLS handshake with that server fails when probed from this machine (${message || 'TLS'}${hr}).`,
        short: 'TLS failure',
        restore: "restore the server's certificate (renew it, or trust its issuing CA on this machine)",
      };
    case 'invalid_url':
      return {
        kind: 'invalid_url',
        sentence: `The WSUS URL ${probe.url} cannot be used${probe.hresult === null ? '' : ` (${probe.hresult})`}.`,
        short: 'URL not usable',
        restore: 'correct the URL in the policy',
      };
    default:
      return {
        kind: 'unreachable',
        sentence: `Probing that server failed (${message}${hr}).`,
        short: 'probe failed',
        restore: restoreDefault,
      };
  }
}

function stepLabel(step: ProbeData['failedStep']): string {
  switch (step) {
    case 'tcp':
      return 'TCP connect';
    case 'tls':
      return 'TLS handshake';
    case 'dns':
      return 'DNS lookup';
    case 'http':
      return WUIDENT;
    default:
      return 'the probe';
  }
}

function hostAndPort(url: string): { host: string; port: number } {
  try {
    const u = new URL(url);
    const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    return { host: u.hostname, port };
  } catch {
    return { host: url, port: 80 };
  }
}
