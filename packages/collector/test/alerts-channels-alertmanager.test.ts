// Alertmanager compatibility against a local HTTP sink on 127.0.0.1: the `alertmanager-webhook` channel posts
// Alertmanager's webhook message (version 4) and the `alertmanager` channel posts to /api/v2/alerts. Both bodies
// are checked against Alertmanager's documented schemas, written out here from its sources:
// notify/webhook/webhook.go (Message: template.Data + version, groupKey, truncatedAlerts) and
// api/v2/openapi.yaml (postableAlerts: array of postableAlert = labels (required), annotations, startsAt,
// endsAt, generatorURL (uri)).
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { createChannel, fingerprint, ZERO_TIME } from '../src/alerts/channels/index.js';
import { testNotification } from '../src/alerts/message.js';
import type { Notification } from '../src/alerts/types.js';
import { api, startTestCollector } from './helpers/collector.js';

const labelSet = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string());
const rfc3339 = z.string().refine((s) => s === ZERO_TIME || z.iso.datetime({ offset: true }).safeParse(s).success);

/** Alertmanager's webhook Message, field for field (template.Data + the three webhook fields). */
const AmWebhookMessage = z.strictObject({
  receiver: z.string(),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(
    z.strictObject({
      status: z.enum(['firing', 'resolved']),
      labels: labelSet,
      annotations: labelSet,
      startsAt: rfc3339,
      endsAt: rfc3339,
      generatorURL: z.string(),
      fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
    }),
  ),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative(),
});

/** api/v2/openapi.yaml `postableAlerts`. */
const PostableAlerts = z.array(
  z.strictObject({
    labels: labelSet,
    annotations: labelSet.optional(),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    generatorURL: z.url().optional(),
  }),
);

interface Hit {
  method: string;
  path: string;
  type: string | undefined;
  body: unknown;
}

async function startSink(status = 200): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        path: req.url ?? '',
        type: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '' : '"bad alert"');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const firingSince = new Date('2026-11-30T08:00:00.000Z');
const resolvedAt = new Date('2026-11-30T09:30:00.000Z');

function machineAlert(kind: Notification['kind']): Notification {
  const base = testNotification(new Date('2026-11-30T09:00:00.000Z'));
  return {
    ...base,
    id: `ntf_${kind}`,
    kind,
    createdAt: kind === 'resolved' ? resolvedAt : new Date('2026-11-30T09:00:00.000Z'),
    alert: {
      ...base.alert,
      id: 'alr_1',
      rule: 'detect_failures',
      subject: 'machine:m-42',
      severity: 'critical',
      title: 'srv-app-3: 3 detections failed in a row',
      summary: 'Windows Update detection failed 3 times in a row with 0x80244022.',
      evidence: { hresult: '0x80244022', since: firingSince.toISOString(), count: 3 },
      fix: 'Bring the WSUS server back or point the GPO elsewhere.',
      machines: [{ machineId: 'm-42', hostname: 'srv-app-3' }],
      state: kind === 'resolved' ? 'resolved' : 'firing',
      firingSince,
      resolvedAt: kind === 'resolved' ? resolvedAt : null,
    },
  };
}

test('alertmanager-webhook: firing then resolved, both valid v4 messages with one stable alert identity', async (t) => {
  const sink = await startSink();
  try {
    const ch = createChannel({
      type: 'alertmanager-webhook',
      name: 'am-receivers',
      url: `${sink.url}/hook`,
      externalUrl: 'https://wuwatch.corp.example:8470',
    });
    await ch.send(machineAlert('firing'));
    await ch.send(machineAlert('resolved'));
    t.is(sink.hits.length, 2);
    const [firing, resolved] = sink.hits.map((h) => AmWebhookMessage.parse(h.body));
    t.is(sink.hits[0]!.path, '/hook');
    t.regex(sink.hits[0]!.type ?? '', /^application\/json/);
    t.is(firing!.status, 'firing');
    t.is(firing!.receiver, 'am-receivers');
    t.is(firing!.alerts[0]!.endsAt, ZERO_TIME);
    t.is(firing!.alerts[0]!.startsAt, firingSince.toISOString());
    t.deepEqual(firing!.alerts[0]!.labels, {
      alertname: 'WuwatchDetectFailures',
      rule: 'detect_failures',
      severity: 'critical',
      subject: 'machine:m-42',
      service: 'wuwatch',
      machine_id: 'm-42',
      hostname: 'srv-app-3',
    });
    t.is(firing!.alerts[0]!.annotations.hresult, '0x80244022');
    t.regex(firing!.alerts[0]!.annotations.description!, /0x80244022/);
    t.is(firing!.alerts[0]!.generatorURL, 'https://wuwatch.corp.example:8470/machines/m-42');
    t.is(firing!.externalURL, 'https://wuwatch.corp.example:8470');
    t.is(firing!.groupKey, '{}:{alertname="WuwatchDetectFailures", subject="machine:m-42"}');
    t.deepEqual(firing!.commonLabels, firing!.alerts[0]!.labels);
    t.is(resolved!.status, 'resolved');
    t.is(resolved!.alerts[0]!.endsAt, resolvedAt.toISOString());
    t.is(resolved!.groupKey, firing!.groupKey, 'same group from firing to resolved');
    t.is(resolved!.alerts[0]!.fingerprint, firing!.alerts[0]!.fingerprint);
  } finally {
    await sink.close();
  }
});

test('alertmanager: POST /api/v2/alerts, firing with endsAt = now + ttl, resolved with endsAt = resolution', async (t) => {
  const sink = await startSink();
  try {
    const now = new Date('2026-11-30T09:00:05.000Z');
    const ch = createChannel(
      { type: 'alertmanager', url: `${sink.url}/`, ttlMinutes: 300, externalUrl: 'http://wuwatch.example:8470/' },
      { clock: () => now },
    );
    t.is(ch.target, `${sink.url}/…`);
    await ch.send(machineAlert('firing'));
    await ch.send(machineAlert('resolved'));
    t.deepEqual(
      sink.hits.map((h) => [h.method, h.path]),
      [
        ['POST', '/api/v2/alerts'],
        ['POST', '/api/v2/alerts'],
      ],
    );
    const [firing, resolved] = sink.hits.map((h) => PostableAlerts.parse(h.body));
    t.is(firing![0]!.endsAt, new Date(now.getTime() + 300 * 60_000).toISOString());
    t.is(firing![0]!.startsAt, firingSince.toISOString());
    t.is(firing![0]!.generatorURL, 'http://wuwatch.example:8470/machines/m-42');
    t.is(resolved![0]!.endsAt, resolvedAt.toISOString());
    t.deepEqual(resolved![0]!.labels, firing![0]!.labels, 'Alertmanager matches the resolve by its labels');
  } finally {
    await sink.close();
  }
});

test('alertmanager: a 400 from Alertmanager is a permanent delivery error that quotes its answer', async (t) => {
  const sink = await startSink(400);
  try {
    const ch = createChannel({ type: 'alertmanager', url: sink.url });
    const err = await t.throwsAsync(ch.send(machineAlert('firing')));
    t.is((err as { code?: string }).code, 'WUW_ALERT_DELIVERY');
    t.regex(err.message, /HTTP 400.*bad alert/);
    t.is((err as { details?: { retryable?: boolean } }).details?.retryable, false);
  } finally {
    await sink.close();
  }
});

test('fingerprint: Prometheus FNV-1a over sorted labels, independent of key order', (t) => {
  t.is(fingerprint({}), 'cbf29ce484222325');
  t.is(fingerprint({ b: '2', a: '1' }), fingerprint({ a: '1', b: '2' }));
  t.not(fingerprint({ a: '1', b: '2' }), fingerprint({ a: '12', b: '' }), 'the separator keeps pairs apart');
});

test('config: unknown fields and a non-http URL are refused with the field named', (t) => {
  t.throws(() => createChannel({ type: 'alertmanager', url: 'ftp://am:9093' }), { message: /url/ });
  t.throws(() => createChannel({ type: 'alertmanager-webhook', url: 'http://x', ttlMinutes: 5 }), {
    message: /ttlMinutes|Unrecognized/,
  });
});

test('end to end: notify-test through a collector reaches both channel types as valid Alertmanager bodies', async (t) => {
  const sink = await startSink();
  const tc = await startTestCollector({
    alerts: {
      schedule: '0 0 1 1 *',
      channels: [
        { type: 'alertmanager-webhook', name: 'amw', url: `${sink.url}/hook` },
        { type: 'alertmanager', name: 'am', url: sink.url },
      ],
    },
  });
  try {
    t.is((await api(tc, 'POST', '/v1/notify-test', { channel: 'amw' })).status, 200);
    t.is((await api(tc, 'POST', '/v1/notify-test', { channel: 'am' })).status, 200);
    const webhook = AmWebhookMessage.parse(sink.hits.find((h) => h.path === '/hook')?.body);
    t.is(webhook.alerts[0]!.labels.test, 'true');
    t.is(webhook.externalURL, '');
    const pushed = PostableAlerts.parse(sink.hits.find((h) => h.path === '/api/v2/alerts')?.body);
    const ends = Date.parse(pushed[0]!.endsAt!) - Date.now();
    t.true(ends > 0 && ends <= 5 * 60_000, 'a test alert goes away by itself within 5 minutes');
  } finally {
    await tc.close();
    await sink.close();
  }
});
