// Sinks and small utilities for the alert end-to-end tests: a webhook receiver and an SMTP server on 127.0.0.1,
// a port that nothing listens on yet, polling, and the agent steps every alert test repeats.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { WireEvent } from '@wuwatch/core';
import type { WebhookPayload } from '../../src/alerts/message.js';
import { api, enrollAgent, TestAgent } from './collector.js';

/** One request the webhook sink accepted. */
export interface WebhookDelivery {
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookPayload;
  at: number;
}

/** A webhook receiver on 127.0.0.1 that records what it accepted (answers 500 while `failNext` > 0). */
export interface WebhookSink {
  url: string;
  port: number;
  received: WebhookDelivery[];
  /** Requests that reached the sink, accepted or not. */
  hits: number;
  failNext: number;
  /** Deliveries per X-Wuwatch-Delivery id. */
  countsById(): Map<string, number>;
  close(): Promise<void>;
}

/** Starts a webhook sink; `port` 0 (default) picks a free one, a given port lets a test bring a sink "back". */
export async function startWebhookSink(port = 0): Promise<WebhookSink> {
  const sink: WebhookSink = {
    url: '',
    port: 0,
    received: [],
    hits: 0,
    failNext: 0,
    countsById() {
      const counts = new Map<string, number>();
      for (const r of sink.received) {
        const id = String(r.headers['x-wuwatch-delivery']);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    close: () => closeServer(server),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.hits++;
      if (sink.failNext > 0) {
        sink.failNext--;
        res.writeHead(500).end('sink down');
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      sink.received.push({ headers: req.headers, raw, body: JSON.parse(raw) as WebhookPayload, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  sink.port = (server.address() as AddressInfo).port;
  sink.url = `http://127.0.0.1:${sink.port}/hook`;
  return sink;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port on 127.0.0.1 that was free a moment ago (bound, then released): a "dead" receiver until someone listens. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One mail the SMTP sink accepted, headers unfolded and body decoded. */
export interface Mail {
  from: string | undefined;
  to: string[];
  headers: string;
  body: string;
  /** The user that logged in, when the sink requires a login. */
  user: string | undefined;
}

/** Header block unfolded, body decoded from quoted-printable or base64 when so encoded, with \n line ends. */
export function parseMail(raw: string): { headers: string; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
  let body = raw.slice(split + 4);
  if (/content-transfer-encoding: quoted-printable/i.test(headers)) {
    body = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  } else if (/content-transfer-encoding: base64/i.test(headers)) {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

/**
 * A plain-text SMTP server on 127.0.0.1 (no STARTTLS) recording the mails it accepts; with `auth` it requires that
 * login, without it it offers none.
 */
export async function startSmtpSink(auth?: {
  user: string;
  pass: string;
}): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: auth === undefined,
    allowInsecureAuth: true,
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    logger: false,
    onAuth(a, _session, callback) {
      if (auth && a.username === auth.user && a.password === auth.pass) callback(null, { user: a.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        mails.push({
          from: mailFrom ? mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Resolves once `cond` holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An enrolled agent, connected and welcomed, with its machine id; `send` numbers events itself. */
export interface ConnectedAgent {
  agentId: string;
  machineId: string;
  hostname: string;
  agent: TestAgent;
  /** Sends events (seq assigned here, continuing from the last batch) and waits for the ack. */
  send(events: ((seq: number) => WireEvent)[]): Promise<void>;
}

/** Enrolls `hostname` through `enrollVia`, connects to `wsUrl`, says hello and looks up its machine id. */
export async function connectAgent(
  enrollVia: { url: string; adminToken: string },
  wsUrl: string,
  hostname: string,
): Promise<ConnectedAgent> {
  const { agentId, token } = await enrollAgent(enrollVia, hostname);
  const agent = await TestAgent.connect(wsUrl, token);
  await agent.hello(agentId, hostname);
  const machines = await api<{ items: { id: string; hostname: string }[] }>(
    enrollVia,
    'GET',
    `/v1/machines?q=${encodeURIComponent(hostname)}`,
  );
  const machine = machines.body.items.find((m) => m.hostname === hostname);
  if (!machine) throw new Error(`machine ${hostname} not found after hello`);
  let seq = 0;
  let batchId = 0;
  return {
    agentId,
    machineId: machine.id,
    hostname,
    agent,
    async send(events) {
      await agent.batch(
        ++batchId,
        events.map((make) => make(++seq)),
      );
    },
  };
}

/**
 * Event times for the alert tests: a clock that starts an hour ago and moves a minute per call, so detections are
 * recent (no staleness alert) and strictly ordered (the projection ignores older attempts).
 */
export function eventClock(start = Date.now() - 3_600_000): () => Date {
  let t = start;
  return () => new Date((t += 60_000));
}
