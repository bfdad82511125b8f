// A collector on a fresh PostgreSQL database, listening on 127.0.0.1 with a random port, plus a minimal
// protocol-speaking test agent.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { decodeCollectorFrame, PROTOCOL_VERSION, type CollectorFrame, type WireEvent } from '@wuwatch/core';
import { loadConfig } from '../../src/config/load.js';
import { startCollector, type Collector, type CollectorExtensions } from '../../src/server.js';
import { createEmptyTestDatabase, silentLog } from './db.js';

export interface TestCollector {
  collector: Collector;
  url: string;
  wsUrl: string;
  adminToken: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/** Starts a collector on its own new database. `overrides` are config keys. */
export async function startTestCollector(
  overrides: Record<string, unknown> = {},
  ext: CollectorExtensions = {},
): Promise<TestCollector> {
  const database = await createEmptyTestDatabase();
  const adminToken = 'admin-' + randomBytes(16).toString('hex');
  const config = loadConfig({
    env: {},
    overrides: { host: '127.0.0.1', port: 0, databaseUrl: database.url, adminToken, logLevel: 'silent', ...overrides },
  });
  const collector = await startCollector(config, silentLog, ext);
  return {
    collector,
    url: collector.url,
    wsUrl: collector.url.replace(/^http/, 'ws') + '/v1/agent',
    adminToken,
    databaseUrl: database.url,
    async close() {
      await collector.close();
      await database.drop();
    },
  };
}

/** Calls the API with the admin token. */
export async function api<T = unknown>(
  tc: { url: string; adminToken: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(tc.url + path, {
    method,
    headers: {
      authorization: `Bearer ${tc.adminToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Creates an enrollment secret and enrolls one agent with it. */
export async function enrollAgent(
  tc: { url: string; adminToken: string },
  hostname = 'srv',
): Promise<{ agentId: string; token: string }> {
  const secret = await api<{ secret: string }>(tc, 'POST', '/v1/enroll-secrets', { comment: 'test' });
  const res = await fetch(tc.url + '/v1/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret: secret.body.secret, hostname }),
  });
  if (res.status !== 200) throw new Error(`enroll failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { agentId: string; token: string };
}

/** A bare protocol client: connect, hello, send batches, await frames. */
export class TestAgent {
  readonly frames: CollectorFrame[] = [];
  private waiters: ((f: CollectorFrame) => void)[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const f = decodeCollectorFrame(d.toString());
      this.frames.push(f);
      this.waiters.shift()?.(f);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a socket with the given token (resolves once open; rejects on a refused upgrade). */
  static connect(wsUrl: string, token: string | null): Promise<TestAgent> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      ws.once('open', () => resolve(new TestAgent(ws)));
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })),
      );
      ws.once('error', reject);
    });
  }

  /** Resolves with the next frame from the collector. */
  next(timeoutMs = 10_000): Promise<CollectorFrame> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no frame from collector')), timeoutMs);
      this.waiters.push((f) => {
        clearTimeout(t);
        resolve(f);
      });
    });
  }

  /** Sends hello and returns the welcome's ackedSeq. */
  async hello(agentId: string, hostname = 'srv', osVersion = 'Windows Server 2008 R2'): Promise<number> {
    this.ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        agentId,
        hostname,
        osVersion,
        agentVersion: 'test',
        mode: 'simulate',
      }),
    );
    const f = await this.next();
    if (f.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(f)}`);
    return f.ackedSeq;
  }

  /** Sends a batch and waits for its ack. */
  async batch(batchId: number, events: WireEvent[]): Promise<number> {
    this.ws.send(JSON.stringify({ type: 'batch', batchId, events }));
    const f = await this.next();
    if (f.type !== 'ack') throw new Error(`expected ack, got ${JSON.stringify(f)}`);
    return f.upTo;
  }

  close(): void {
    this.ws.close();
  }
}

/** Builds simple detection events with seqs from..to. */
export function detectionEvents(
  from: number,
  to: number,
  outcome: 'succeeded' | 'failed' = 'failed',
  hresult = '0x80244022',
): WireEvent[] {
  const out: WireEvent[] = [];
  for (let seq = from; seq <= to; seq++) {
    out.push({
      seq,
      time: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
      kind: 'detection',
      data: {
        source: 'log',
        attemptKey: null,
        outcome,
        hresult: outcome === 'failed' ? hresult : null,
        caller: 'AutomaticUpdates',
        managed: true,
        serverUrl: null,
        updatesFound: outcome === 'succeeded' ? 0 : null,
        line: seq,
        recordId: null,
      },
    });
  }
  return out;
}
