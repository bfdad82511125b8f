// The alert engine end to end: real collector on PostgreSQL, real agent protocol, real webhook sink on 127.0.0.1.
import test from 'ava';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestCollector, enrollAgent, TestAgent, detectionEvents, api } from './helpers/collector.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: { kind: string; alert: { rule: string; subject: string; state: string; evidence: Record<string, unknown> } };
}

async function startSink(): Promise<{ url: string; received: Received[]; server: Server; failNext: { n: number } }> {
  const received: Received[] = [];
  const failNext = { n: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (failNext.n > 0) {
        failNext.n--;
        res.writeHead(500).end('sink down');
        return;
      }
      received.push({ headers: req.headers, body: JSON.parse(body) as Received['body'] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server, failNext };
}

async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alertsConfig = (url: string) => ({
  alerts: {
    debounceMs: 50,
    channels: [{ type: 'webhook', name: 'ops', url, secret: 'x'.repeat(32) }],
    delivery: { pollMs: 200, retryBaseMs: 100, retryMaxMs: 400 },
  },
});

test('three failed detections fire exactly one alert and one notification; a fourth does not notify again', async (t) => {
  const sink = await startSink();
  const tc = await startTestCollector(alertsConfig(sink.url));
  try {
    const { agentId, token } = await enrollAgent(tc, 'srv-alert');
    const agent = await TestAgent.connect(tc.wsUrl, token);
    await agent.hello(agentId, 'srv-alert');
    await agent.batch(1, detectionEvents(1, 2));
    await new Promise((r) => setTimeout(r, 500));
    t.is(sink.received.length, 0, 'two failures do not alert');
    await agent.batch(2, detectionEvents(3, 3));
    await waitFor(() => sink.received.length >= 1);
    const n = sink.received[0]!;
    t.is(n.body.kind, 'firing');
    t.is(n.body.alert.rule, 'detect_failures');
    t.truthy(n.headers['x-wuwatch-delivery']);
    t.regex(String(n.headers['x-wuwatch-signature']), /^sha256=[0-9a-f]{64}$/);
    await agent.batch(3, detectionEvents(4, 4));
    await new Promise((r) => setTimeout(r, 800));
    t.is(sink.received.filter((r) => r.body.alert.rule === 'detect_failures').length, 1);
    const alerts = await api<{ items: { id: string; rule: string; state: string }[] }>(
      tc,
      'GET',
      '/v1/alerts?state=firing',
    );
    t.is(alerts.body.items.filter((a) => a.rule === 'detect_failures').length, 1);
    const ack = await api(tc, 'POST', `/v1/alerts/${alerts.body.items[0]!.id}/ack`, { comment: 'on it' });
    t.is(ack.status, 200);
    agent.close();
  } finally {
    await tc.close();
    sink.server.close();
  }
});

test('a dead webhook sink is retried and, once back, gets the message once; silences keep the record but do not deliver', async (t) => {
  const sink = await startSink();
  sink.failNext.n = 3;
  const tc = await startTestCollector(alertsConfig(sink.url));
  try {
    const a = await enrollAgent(tc, 'srv-retry');
    const b = await enrollAgent(tc, 'srv-silenced');
    const { body: machinesBefore } = await api<{ items: unknown[] }>(tc, 'GET', '/v1/machines');
    t.is(machinesBefore.items.length, 0);
    const agentA = await TestAgent.connect(tc.wsUrl, a.token);
    await agentA.hello(a.agentId, 'srv-retry');
    const agentB = await TestAgent.connect(tc.wsUrl, b.token);
    await agentB.hello(b.agentId, 'srv-silenced');
    const list = await api<{ items: { id: string; hostname: string }[] }>(tc, 'GET', '/v1/machines?q=srv-silenced');
    const silence = await api(tc, 'POST', '/v1/silences', {
      machineId: list.body.items[0]!.id,
      until: new Date(Date.now() + 3600_000).toISOString(),
      comment: 'maintenance',
    });
    t.is(silence.status, 201);
    await agentA.batch(1, detectionEvents(1, 3));
    await agentB.batch(1, detectionEvents(1, 3));
    await waitFor(() => sink.received.length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    t.is(sink.received.length, 1, 'delivered once after the sink came back');
    t.is(sink.received[0]!.body.alert.subject.startsWith('machine:'), true);
    const firing = await api<{ items: { subject: string }[] }>(tc, 'GET', '/v1/alerts?state=firing');
    t.is(firing.body.items.length, 2, 'the silenced alert is still recorded');
    const { rows } = await tc.collector.db.query<{ attempts: number; state: string }>(
      `SELECT attempts, state FROM alert_notifications`,
    );
    t.deepEqual(
      rows.map((r) => r.state),
      ['delivered'],
    );
    t.is(rows[0]!.attempts, 4);
    agentA.close();
    agentB.close();
  } finally {
    await tc.close();
    sink.server.close();
  }
});
