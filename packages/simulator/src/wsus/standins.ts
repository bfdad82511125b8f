/**
 * Stand-ins for a WSUS server and a WinHTTP forward proxy, on 127.0.0.1 only. Used by the fleet simulator and by
 * the agent's probe tests: a healthy server, a dead IIS app pool (503 to everything, as in the field report), a
 * hanging server (accepts, never answers: past any probe timeout), a wrong vdir/port (404), a broken site (500) and
 * a closed port, over http or https (a self-signed test certificate for 127.0.0.1 in packages/simulator/tls).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { StandinMode } from './modes.js';

export { STANDIN_MODES, type StandinMode } from './modes.js';

/** Options of {@link startWsusStandin}. */
export interface StandinOptions {
  /** Serve https with the test certificate (packages/simulator/tls); the certificate is in {@link TEST_TLS}. */
  tls?: boolean;
  /** Bytes served as /selfupdate/wuident.cab (default: a small fake cabinet). */
  wuident?: Buffer;
  /** Status of GET /ClientWebService/client.asmx in healthy mode (default 200; IIS often answers 401). */
  asmxStatus?: number;
  /** Path prefix of the WSUS site (default ''), e.g. '/wsus'. */
  basePath?: string;
}

/** One request the stand-in received. */
export interface RecordedRequest {
  method: string;
  url: string;
  host: string | undefined;
}

/** A running WSUS stand-in. */
export interface WsusStandin {
  /** Base URL as a WUServer policy value would hold it (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly mode: StandinMode;
  readonly requests: RecordedRequest[];
  /** Switches behaviour at run time (the simulator's server going down and coming back). */
  setMode(mode: StandinMode): Promise<void>;
  close(): Promise<void>;
}

// Same depth from src/wsus and dist/wsus, so the launcher and the tests find the same files.
const tlsDir = (file: string) => fileURLToPath(new URL(`../../tls/${file}`, import.meta.url));

/** The test key pair: `cert` is what a client must trust (pass it as `ca`). */
export const TEST_TLS = Object.freeze({
  key: readFileSync(tlsDir('key.pem')),
  cert: readFileSync(tlsDir('cert.pem')),
});

const HOST = '127.0.0.1';
// "MSCF" cabinet signature followed by filler: enough to look like wuident.cab on the wire.
const FAKE_CAB = Buffer.concat([Buffer.from('MSCF\0\0\0\0', 'latin1'), Buffer.alloc(248, 0x2e)]);
// What http.sys answers for every URL of a site whose application pool is stopped.
const IIS_503_BODY =
  '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n' +
  '<HTML><HEAD><TITLE>Service Unavailable</TITLE></HEAD><BODY><h2>Service Unavailable</h2>' +
  '<hr><p>HTTP Error 503. The service is unavailable.</p></BODY></HTML>\r\n';
// What IIS answers when the WSUS web site itself is broken (bad web.config, failed ASP.NET module).
const IIS_500_BODY =
  '<h2>500 - Internal server error.</h2><h3>There is a problem with the resource you are looking for.</h3>';

/** Starts a WSUS stand-in on 127.0.0.1 in the given mode. */
export async function startWsusStandin(mode: StandinMode, opts: StandinOptions = {}): Promise<WsusStandin> {
  let current = mode;
  const requests: RecordedRequest[] = [];
  const basePath = opts.basePath ?? '';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host });
    respond(current, req, res, basePath, opts);
  };
  const server: Server = opts.tls
    ? createHttpsServer({ key: TEST_TLS.key, cert: TEST_TLS.cert }, handler)
    : createHttpServer(handler);
  const port = await listen(server, 0);
  if (mode === 'refuse') await closeServer(server);
  const scheme = opts.tls ? 'https' : 'http';
  return {
    url: `${scheme}://${HOST}:${port}${basePath}`,
    port,
    get mode() {
      return current;
    },
    requests,
    async setMode(next) {
      if (next === current) return;
      if (current === 'refuse') await listen(server, port);
      else if (next === 'refuse') await closeServer(server);
      current = next;
    },
    async close() {
      if (current !== 'refuse') await closeServer(server);
    },
  };
}

function respond(mode: StandinMode, req: IncomingMessage, res: ServerResponse, base: string, opts: StandinOptions) {
  if (mode === 'hang') return; // accept, read the request, never answer
  res.setHeader('Server', mode === '503' ? 'Microsoft-HTTPAPI/2.0' : 'Microsoft-IIS/10.0');
  if (mode === '503') {
    res.writeHead(503, { 'Content-Type': 'text/html; charset=us-ascii' }).end(IIS_503_BODY);
    return;
  }
  if (mode === '500') {
    res.writeHead(500, { 'Content-Type': 'text/html' }).end(IIS_500_BODY);
    return;
  }
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (mode === 'healthy' && path.toLowerCase() === `${base}/selfupdate/wuident.cab`.toLowerCase()) {
    res.writeHead(200, { 'Content-Type': 'application/vnd.ms-cab-compressed' }).end(opts.wuident ?? FAKE_CAB);
    return;
  }
  if (mode === 'healthy' && path.toLowerCase() === `${base}/clientwebservice/client.asmx`.toLowerCase()) {
    const status = opts.asmxStatus ?? 200;
    res
      .writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<html><body>ClientWebService</body></html>');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/html' }).end('<h2>404 - File or directory not found.</h2>');
}

/** A recorded proxy request: `GET http://…` (absolute-form) or `CONNECT host:port`. */
export interface ProxyRecord {
  method: string;
  target: string;
  authorization: string | undefined;
}

/** Options of {@link startProxyStandin}. */
export interface ProxyStandinOptions {
  /** Required `Proxy-Authorization` value; requests without it get 407. */
  requireAuth?: string;
  /** Host names the proxy resolves itself (e.g. `wsus01.corp.test` → 127.0.0.1); others are refused. */
  hosts?: Record<string, string>;
}

/** A running forward-proxy stand-in. */
export interface ProxyStandin {
  readonly url: string;
  readonly port: number;
  readonly requests: ProxyRecord[];
  close(): Promise<void>;
}

/** Starts a tiny forward proxy on 127.0.0.1 that records requests and only ever connects to 127.0.0.1. */
export async function startProxyStandin(opts: ProxyStandinOptions = {}): Promise<ProxyStandin> {
  const requests: ProxyRecord[] = [];
  const tunnels = new Set<Socket>();
  // Loopback only: a name the test did not map is answered 502 rather than resolved.
  const resolve = (host: string) => (host === HOST ? HOST : opts.hosts?.[host.toLowerCase()]);
  const authorized = (req: IncomingMessage) =>
    opts.requireAuth === undefined || req.headers['proxy-authorization'] === opts.requireAuth;

  const server = createHttpServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      target: req.url ?? '',
      authorization: req.headers['proxy-authorization'],
    });
    if (!authorized(req)) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const address = resolve(target.hostname);
    if (target.protocol !== 'http:' || address === undefined) {
      res.writeHead(502).end();
      return;
    }
    const upstream = httpRequest(
      {
        host: address,
        port: target.port || 80,
        method: req.method,
        path: target.pathname + target.search,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    requests.push({ method: 'CONNECT', target: req.url ?? '', authorization: req.headers['proxy-authorization'] });
    client.on('error', () => undefined);
    if (!authorized(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n\r\n');
      return;
    }
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    const address = m?.[1] === undefined ? undefined : resolve(m[1]);
    if (m === null || address === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = netConnect({ host: address, port: Number(m[2]) });
    tunnels.add(upstream).add(client);
    upstream.on('error', () => client.destroy());
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
  });
  const port = await listen(server, 0);
  return {
    url: `http://${HOST}:${port}`,
    port,
    requests,
    async close() {
      for (const s of tunnels) s.destroy();
      await closeServer(server);
    },
  };
}

/** A TCP server that accepts and then says nothing at all, not even a TLS handshake. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
