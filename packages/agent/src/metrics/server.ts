/**
 * The agent's optional `/metrics` listener (config `metrics.listen`, off by default). It serves on the loopback
 * interface only unless `metrics.allowNonLoopback` is set: the figures say which WSUS server a machine uses and
 * whether it can reach it, and the endpoint has no authentication, so exposing it to the network is a decision.
 */
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { makeError } from '@wuwatch/core';
import type { Logger } from 'pino';

/** A parsed `host:port` (IPv6 in brackets: `[::1]:9469`). */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `metrics.listen`; throws WUW_CONFIG_INVALID when it is not `host:port` with a port 0–65535. */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535) {
    throw makeError('CONFIG_INVALID', [
      `metrics.listen "${listen}" is not host:port (e.g. 127.0.0.1:9469, [::1]:9469)`,
    ]);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** True for `localhost`, 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z): addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  listen: string;
  allowNonLoopback: boolean;
  /** The exposition text at the time of a scrape. */
  render: () => string;
  log: Logger;
}

/** A listening metrics server. */
export interface MetricsServer {
  /** The bound address (the port is the real one when 0 was asked). */
  address: ListenAddress;
  close(): Promise<void>;
}

/**
 * Starts the listener; throws WUW_CONFIG_INVALID for a bad or non-loopback address (unless allowed), and rejects
 * when the address cannot be bound (in use), so a mistake shows at start, not at the first scrape.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const addr = parseListen(opts.listen);
  if (!isLoopback(addr.host) && !opts.allowNonLoopback) {
    throw makeError('CONFIG_INVALID', [
      `metrics.listen "${opts.listen}" is not a loopback address; the endpoint has no authentication. Use 127.0.0.1, or set metrics.allowNonLoopback to true on purpose`,
    ]);
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found; try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return;
    }
    let body: string;
    try {
      body = opts.render();
    } catch (err) {
      opts.log.error({ err }, 'metrics could not be rendered');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // A scraper holding a connection open must not keep the service from stopping.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : addr.port;
  opts.log.info({ listen: `${addr.host}:${port}` }, 'metrics served at /metrics');
  return {
    address: { host: addr.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
