import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { isWuwatchError, type WuwatchError } from '@wuwatch/core';
import { createChannel, DELIVERY_HEADER, SIGNATURE_HEADER, verifySignature } from '../src/alerts/channels/index.js';
import { WebhookPayload } from '../src/alerts/message.js';
import { makeNotification } from '../src/alerts/state.js';
import type { Alert, Notification } from '../src/alerts/types.js';
import { startSmtpSink } from './helpers/alerts.js';

const NOW = new Date('2024-05-10T12:00:00.000Z');
const SECRET = 'correct-horse-battery-staple';
const SLACK_TOKEN = 'XXSECRETSLACKTOKENXX';

function notification(): Notification {
  const alert: Alert = {
    id: 'alr_0123456789abcdef0123',
    rule: 'detect_failures',
    subject: 'machine:a1b2c3',
    severity: 'warning',
    title: 'Windows Update detection failing on SRV-FILE-02',
    summary: 'Windows Update detection has failed 3 times in a row on SRV-FILE-02 with 0x80244022 <503> & more.',
    evidence: {
      hresult: '0x80244022',
      hresultName: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
      meaning: 'Same as HTTP status 503.',
      httpStatus: 503,
      url: 'http://wsus01.corp.example:8530',
      count: 3,
    },
    fix: 'Start the WsusPool application pool.',
    machines: [{ machineId: 'a1b2c3', hostname: 'SRV-FILE-02' }],
    inhibitedBy: null,
    state: 'firing',
    firingSince: NOW,
    clearSince: null,
    goodObservations: 0,
    resolvedAt: null,
    lastSeen: NOW,
    lastNotifiedAt: null,
    lastNotifiedState: null,
  };
  return makeNotification(alert, 'firing', NOW);
}

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** An HTTP sink on 127.0.0.1 that records requests and answers with `respond`. */
async function sink(
  respond: (res: ServerResponse) => void = (res) => res.writeHead(204).end(),
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, server };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function rejection(p: Promise<unknown>): Promise<WuwatchError> {
  try {
    await p;
  } catch (err) {
    if (isWuwatchError(err, 'ALERT_DELIVERY')) return err;
    throw err;
  }
  throw new Error('expected the delivery to fail');
}

test('webhook: POSTs the payload with a valid HMAC signature and the delivery id', async (t) => {
  const { url, received, server } = await sink();
  t.teardown(() => stop(server));
  const sentAt = new Date(NOW.getTime() + 5000);
  const channel = createChannel(
    { type: 'webhook', url: `${url}/hooks/wuwatch`, secret: SECRET },
    { clock: () => sentAt },
  );
  const n = notification();
  await channel.send(n);
  t.is(received.length, 1);
  const r = received[0]!;
  t.is(r.method, 'POST');
  t.is(r.url, '/hooks/wuwatch');
  t.is(r.headers['content-type'], 'application/json');
  t.is(r.headers['user-agent'], 'wuwatch');
  t.is(r.headers[DELIVERY_HEADER], n.id);
  const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`;
  t.is(r.headers[SIGNATURE_HEADER], expected);
  t.true(verifySignature(r.body, SECRET, r.headers[SIGNATURE_HEADER] as string));
  t.false(verifySignature(r.body, 'another-secret-of-length', r.headers[SIGNATURE_HEADER] as string));
  t.false(verifySignature(Buffer.concat([r.body, Buffer.from(' ')]), SECRET, r.headers[SIGNATURE_HEADER] as string));
  const payload = WebhookPayload.parse(JSON.parse(r.body.toString('utf8')));
  t.is(payload.id, n.id);
  t.is(payload.kind, 'firing');
  t.is(payload.sentAt, sentAt.toISOString());
  t.is(payload.alert.evidence.hresultName, 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL');
  // A retry of the same notification carries the same delivery id.
  await channel.send(n);
  t.is(received[1]!.headers[DELIVERY_HEADER], n.id);
});

test('webhook: no secret, no signature header', async (t) => {
  const { url, received, server } = await sink();
  t.teardown(() => stop(server));
  await createChannel({ type: 'webhook', url }).send(notification());
  t.is(received[0]!.headers[SIGNATURE_HEADER], undefined);
  t.truthy(received[0]!.headers[DELIVERY_HEADER]);
});

test('webhook: a 500 sink rejects with the status and its answer, retryable', async (t) => {
  const { url, server } = await sink((res) =>
    res.writeHead(500, { 'content-type': 'text/plain' }).end('boom: db down'),
  );
  t.teardown(() => stop(server));
  const err = await rejection(createChannel({ type: 'webhook', url, name: 'ops' }).send(notification()));
  t.is(err.code, 'WUW_ALERT_DELIVERY');
  t.regex(err.message, /webhook channel "ops"/);
  t.regex(err.message, /answered HTTP 500 Internal Server Error: boom: db down/);
  t.is(err.details?.status, 500);
  t.true(err.details?.retryable);
});

test('webhook: a 404 is permanent and a redirect is not followed', async (t) => {
  const gone = await sink((res) => res.writeHead(404).end());
  const moved = await sink((res) => res.writeHead(301, { location: 'http://127.0.0.1:1/' }).end());
  t.teardown(() => Promise.all([stop(gone.server), stop(moved.server)]));
  const e404 = await rejection(createChannel({ type: 'webhook', url: gone.url }).send(notification()));
  t.regex(e404.message, /HTTP 404 Not Found/);
  t.false(e404.details?.retryable);
  const e301 = await rejection(createChannel({ type: 'webhook', url: moved.url }).send(notification()));
  t.regex(e301.message, /HTTP 301 Moved Permanently \(redirects are not followed/);
  t.is(moved.received.length, 1);
});

test('webhook: a closed port rejects saying the connection was refused', async (t) => {
  const port = await closedPort();
  const err = await rejection(
    createChannel({ type: 'webhook', url: `http://127.0.0.1:${port}/x` }).send(notification()),
  );
  t.regex(err.message, new RegExp(`http://127\\.0\\.0\\.1:${port}/…: connection refused .*\\(ECONNREFUSED\\)`));
  t.is(err.details?.code, 'ECONNREFUSED');
  t.true(err.details?.retryable);
});

test('webhook: a receiver that never answers times out', async (t) => {
  const { url, server } = await sink(() => undefined);
  t.teardown(() => stop(server));
  const err = await rejection(createChannel({ type: 'webhook', url, timeoutMs: 200 }).send(notification()));
  t.regex(err.message, /did not answer within 200 ms/);
  t.true(err.details?.retryable);
});

test('slack: posts {text, blocks} in escaped mrkdwn', async (t) => {
  const { url, received, server } = await sink((res) => res.writeHead(200).end('ok'));
  t.teardown(() => stop(server));
  const channel = createChannel({ type: 'slack', url: `${url}/services/T000/B000/${SLACK_TOKEN}` });
  t.is(channel.target, `${url}/…`);
  await channel.send(notification());
  const r = received[0]!;
  t.is(r.headers['content-type'], 'application/json');
  const body = JSON.parse(r.body.toString('utf8')) as {
    text: string;
    blocks: {
      type: string;
      text?: { type: string; text: string };
      fields?: { text: string }[];
      elements?: unknown[];
    }[];
  };
  t.deepEqual(Object.keys(body).sort(), ['blocks', 'text']);
  t.regex(body.text, /^\[FIRING\] Windows Update detection failing on SRV-FILE-02: /);
  const [head, ...rest] = body.blocks;
  t.is(head?.type, 'section');
  t.is(head?.text?.type, 'mrkdwn');
  t.regex(head?.text?.text ?? '', /^\*\[FIRING\] Windows Update detection failing on SRV-FILE-02\*\n/);
  t.regex(head?.text?.text ?? '', /&lt;503&gt; &amp; more/, 'control characters are escaped');
  const fields = rest.flatMap((b) => b.fields ?? []).map((f) => f.text);
  t.true(fields.includes('*Machine*\nSRV-FILE-02 (a1b2c3)'));
  t.true(fields.includes('*Error*\n0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL)'));
  t.true(fields.includes('*HTTP status*\n503 Service Unavailable'));
  t.true(fields.length <= 10);
  t.true(rest.some((b) => b.type === 'section' && b.text?.text === '*Fix*\nStart the WsusPool application pool.'));
  t.is(rest.at(-1)?.type, 'context');
});

test('slack: errors never reveal the token in the URL', async (t) => {
  const { url, server } = await sink((res) => res.writeHead(404).end('no_service'));
  t.teardown(() => stop(server));
  const channel = createChannel({ type: 'slack', url: `${url}/services/T000/B000/${SLACK_TOKEN}` });
  const err = await rejection(channel.send(notification()));
  t.regex(err.message, /HTTP 404 Not Found: no_service/);
  t.false(err.message.includes(SLACK_TOKEN));
  t.false(JSON.stringify(err.details).includes(SLACK_TOKEN));
  t.false(JSON.stringify(channel).includes(SLACK_TOKEN));
});

test('createChannel: invalid config names the field, never the secret', (t) => {
  const err = t.throws(() => createChannel({ type: 'webhook', url: 'http://127.0.0.1:1/', secret: 'short-sekrit' }));
  t.true(isWuwatchError(err, 'CONFIG_INVALID'));
  t.regex(err.message, /alert channel secret: secret must be at least 16 characters/);
  t.false(err.message.includes('short-sekrit'));
  t.throws(() => createChannel({ type: 'webhook', url: 'ftp://example/' }), { message: /alert channel url/ });
  t.throws(() => createChannel({ type: 'pager' }), { message: /Invalid configuration/ });
  t.throws(() => createChannel({ type: 'email', smtp: { host: 'h', user: 'u' }, from: 'a@b.c', to: ['x@y.z'] }), {
    message: /smtp\.user and smtp\.pass go together/,
  });
  const webhook = createChannel({ type: 'webhook', url: 'http://127.0.0.1:1/hook?token=abc', secret: SECRET });
  t.false(JSON.stringify(webhook).includes(SECRET));
  t.false(webhook.target.includes('abc'));
});

test('email: a real SMTP server receives subject and body naming the machine', async (t) => {
  const { port, mails, close } = await startSmtpSink();
  t.teardown(close);
  const channel = createChannel({
    type: 'email',
    smtp: { host: '127.0.0.1', port, secure: false, ignoreTLS: true },
    from: 'wuwatch@corp.example',
    to: ['ops@corp.example', 'oncall@corp.example'],
  });
  t.is(channel.target, `smtp://127.0.0.1:${port}`);
  t.teardown(() => channel.close());
  const n = notification();
  await channel.send(n);
  t.is(mails.length, 1);
  const mail = mails[0]!;
  t.is(mail.from, 'wuwatch@corp.example');
  t.deepEqual(mail.to, ['ops@corp.example', 'oncall@corp.example']);
  const { headers, body } = mail;
  t.regex(headers, /^Subject: \[wuwatch\] \[FIRING\] Windows Update detection failing on SRV-FILE-02$/m);
  t.regex(headers, new RegExp(`^Message-ID: <${n.id}@wuwatch>$`, 'mi'));
  t.regex(headers, new RegExp(`^X-Wuwatch-Delivery: ${n.id}$`, 'mi'));
  t.true(body.includes('Machine: SRV-FILE-02 (a1b2c3)'));
  t.true(body.includes('Error: 0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL)'));
  t.true(body.includes('Start the WsusPool application pool.'));
});

test('email: SMTP login is used when configured, and a refused login is permanent', async (t) => {
  const { port, mails, close } = await startSmtpSink({ user: 'wuwatch', pass: 'smtp-password-1' });
  t.teardown(close);
  const base = { type: 'email', from: 'wuwatch@corp.example', to: ['ops@corp.example'] } as const;
  const smtp = { host: '127.0.0.1', port, ignoreTLS: true };
  const good = createChannel({ ...base, smtp: { ...smtp, user: 'wuwatch', pass: 'smtp-password-1' } });
  await good.send(notification());
  t.is(mails[0]?.user, 'wuwatch');
  const bad = createChannel({ ...base, smtp: { ...smtp, user: 'wuwatch', pass: 'wrong-password-9' } });
  t.teardown(() => Promise.all([good.close(), bad.close()]));
  const err = await rejection(bad.send(notification()));
  t.regex(err.message, /the SMTP server refused the login/);
  t.is(err.details?.code, 'EAUTH');
  t.false(err.details?.retryable);
  t.false(err.message.includes('wrong-password-9'));
});

test('email: a closed port rejects saying it could not connect', async (t) => {
  const port = await closedPort();
  const channel = createChannel({
    type: 'email',
    smtp: { host: '127.0.0.1', port, ignoreTLS: true, timeoutMs: 2000 },
    from: 'wuwatch@corp.example',
    to: ['ops@corp.example'],
  });
  t.teardown(() => channel.close());
  const err = await rejection(channel.send(notification()));
  t.regex(err.message, new RegExp(`email channel "email" failed: smtp://127\\.0\\.0\\.1:${port}: could not connect`));
  t.regex(err.message, /ECONNREFUSED/);
  t.true(err.details?.retryable);
});
