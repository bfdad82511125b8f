// The query API over HTTP against a real collector and database: auth, enrollment, machines (paging, filters,
// detail), summary, WSUS servers, health and metrics. Serial: the tests share one fleet and count it.
import test from 'ava';
import { startTestCollector, TestAgent, type TestCollector } from './helpers/collector.js';
import { detectionEvent, policyEvent, probeEvent, wsusPolicy } from './helpers/events.js';
import { insertFleet } from './helpers/fleet.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

interface Res<T> {
  status: number;
  type: string;
  body: T;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown } = {},
): Promise<Res<T>> {
  const token = opts.token === undefined ? tc.adminToken : opts.token;
  const res = await fetch(tc.url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: (type.includes('json') && text ? JSON.parse(text) : text) as T };
}

const enroll = (secret: string) =>
  call<{ agentId?: string; token?: string; code?: string }>('POST', '/v1/enroll', {
    token: null,
    body: { secret, hostname: 'h' },
  });

test.serial(
  'auth: no token, a bad token and a revoked API token get 401 JSON; the admin token and a live API token work',
  async (t) => {
    const none = await call('GET', '/v1/summary', { token: null });
    t.is(none.status, 401);
    t.regex(none.type, /application\/json/);
    t.is(none.body.code, 'WUW_UNAUTHORIZED');
    t.regex(String(none.body.message), /no API token.*Authorization: Bearer/);

    const bad = await call('GET', '/v1/machines', { token: 'wwt_not-a-token' });
    t.is(bad.status, 401);
    t.is(bad.body.code, 'WUW_UNAUTHORIZED');

    t.is((await call('GET', '/v1/summary')).status, 200, 'admin token');
    const created = await call<{ id: string; token: string }>('POST', '/v1/tokens', { body: { name: 'grafana' } });
    t.is(created.status, 201);
    t.regex(created.body.token, /^wwt_/);
    t.is((await call('GET', '/v1/summary', { token: created.body.token })).status, 200);

    const listed = await call<{ items: { id: string; label: string; lastUsedAt: string | null }[] }>(
      'GET',
      '/v1/tokens',
    );
    const mine = listed.body.items.find((i) => i.id === created.body.id);
    t.like(mine, { label: 'grafana' });
    t.truthy(mine?.lastUsedAt, 'use is recorded');
    t.false(JSON.stringify(listed.body).includes(created.body.token), 'listings never show the token');

    t.is((await call('DELETE', `/v1/tokens/${created.body.id}`)).status, 204);
    const revoked = await call('GET', '/v1/summary', { token: created.body.token });
    t.is(revoked.status, 401);
    t.is(revoked.body.code, 'WUW_UNAUTHORIZED');
    const again = await call('DELETE', `/v1/tokens/${created.body.id}`);
    t.is(again.status, 404);
    t.is(again.body.code, 'WUW_NOT_FOUND');
  },
);

test.serial(
  'enroll: a good secret gives an agent id and token; bad, revoked and expired secrets are refused',
  async (t) => {
    const s = await call<{ id: string; secret: string }>('POST', '/v1/enroll-secrets', { body: { comment: 'rack 4' } });
    t.is(s.status, 201);
    const ok = await enroll(s.body.secret);
    t.is(ok.status, 200);
    t.regex(ok.body.agentId ?? '', /^agt_/);
    t.regex(ok.body.token ?? '', /^wwa_/);
    t.is((await enroll(s.body.secret)).status, 200, 'a secret enrolls many agents until revoked');

    const bad = await enroll('wwe_made-up');
    t.is(bad.status, 401);
    t.is(bad.body.code, 'WUW_ENROLL_SECRET_INVALID');

    t.is((await call('DELETE', `/v1/enroll-secrets/${s.body.id}`)).status, 204);
    t.like((await enroll(s.body.secret)).body, { code: 'WUW_ENROLL_SECRET_INVALID' });

    // A past expiry is refused at creation (auth-enrollment.test.ts), so this secret expires after it was made.
    const expired = await call<{ id: string; secret: string }>('POST', '/v1/enroll-secrets', {
      body: { comment: 'old', expiresAt: new Date(Date.now() + 60_000).toISOString() },
    });
    await tc.collector.db.query(
      "UPDATE enrollment_secrets SET expires_at = now() - interval '1 minute' WHERE id = $1",
      [expired.body.id],
    );
    t.like(await enroll(expired.body.secret), { status: 401, body: { code: 'WUW_ENROLL_SECRET_INVALID' } });
    const future = await call<{ secret: string }>('POST', '/v1/enroll-secrets', {
      body: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    t.is((await enroll(future.body.secret)).status, 200);

    const missing = await call('POST', '/v1/enroll', { token: null, body: {} });
    t.is(missing.status, 400);
    t.is(missing.body.code, 'WUW_BAD_REQUEST');

    const listed = await call<{ items: { id: string; label: string | null; revokedAt: string | null }[] }>(
      'GET',
      '/v1/enroll-secrets',
    );
    t.like(
      listed.body.items.find((i) => i.id === s.body.id),
      { label: 'rack 4' },
    );
    t.truthy(listed.body.items.find((i) => i.id === s.body.id)?.revokedAt);
    t.false(JSON.stringify(listed.body).includes(s.body.secret));
  },
);

const URL_A = 'http://wsus-a.corp.example:8530';
const URL_B = 'https://wsus-b.corp.example:8531';

test.serial(
  'GET /v1/machines pages with a cursor across pages, filtered or not, without gaps or repeats',
  async (t) => {
    await insertFleet(tc.collector.db, 250, {
      idPrefix: 'agt_page_',
      hostPrefix: 'page-',
      statuses: ['healthy', 'wsus_unreachable'],
      wsusUrls: [URL_A, URL_B, null],
    });
    type Page = {
      items: { id: string; hostname: string; status: string; wsus_url: string | null }[];
      nextCursor: string | null;
    };
    const all = async (query: string, limit: number) => {
      const items: Page['items'] = [];
      let pages = 0;
      let cursor: string | null = null;
      do {
        const r: Res<Page> = await call<Page>(
          'GET',
          `/v1/machines?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        t.is(r.status, 200);
        t.true(r.body.items.length <= limit);
        items.push(...r.body.items);
        cursor = r.body.nextCursor;
        pages++;
      } while (cursor);
      return { items, pages };
    };

    const everything = await all('q=page-', 100);
    t.is(everything.pages, 3);
    t.is(everything.items.length, 250);
    t.is(new Set(everything.items.map((m) => m.id)).size, 250);
    const hostnames = everything.items.map((m) => m.hostname);
    t.deepEqual(hostnames, [...hostnames].sort());
    t.is(hostnames[0], 'page-000001');

    const healthy = await all('q=page-&status=healthy', 40);
    t.is(healthy.items.length, 125);
    t.is(healthy.pages, 4);
    t.true(healthy.items.every((m) => m.status === 'healthy'));

    const exact = await call<Page>('GET', '/v1/machines?q=page-&limit=50');
    t.is(exact.body.items.length, 50);
    t.truthy(exact.body.nextCursor);
    const bigPage = await call<Page>('GET', '/v1/machines?q=page-&limit=1000');
    t.is(bigPage.body.items.length, 250);
    t.is(bigPage.body.nextCursor, null);
  },
);

test.serial('filters: status, wsus (any spelling of the URL the GPO might hold) and q', async (t) => {
  const count = async (query: string) =>
    (await call<{ items: unknown[] }>('GET', `/v1/machines?${query}&limit=1000`)).body.items.length;
  const expectA = (
    await tc.collector.db.query<{ n: number }>('SELECT count(*)::int AS n FROM machines WHERE wsus_url = $1', [URL_A])
  ).rows[0]!.n;
  t.true(expectA > 50);
  t.is(await count(`wsus=${encodeURIComponent(URL_A)}`), expectA);
  t.is(await count(`wsus=${encodeURIComponent('HTTP://WSUS-A.Corp.Example:8530/')}`), expectA);
  t.is(
    await count(`wsus=${encodeURIComponent('http://wsus-a.corp.example:8530/ClientWebService/client.asmx')}`),
    expectA,
  );
  t.is(
    await count(`wsus=${encodeURIComponent('https://wsus-b.corp.example:8531')}&status=wsus_unreachable&q=page-`),
    42,
  );
  t.is(await count('q=PAGE-00012'), 10, 'q is a case-insensitive substring (page-000120..129)');
  t.is(await count('q=' + encodeURIComponent('%')), 0, 'LIKE wildcards in q are literal');

  const badStatus = await call('GET', '/v1/machines?status=broken');
  t.is(badStatus.status, 400);
  t.is(badStatus.body.code, 'WUW_BAD_REQUEST');
  t.regex(String(badStatus.body.message), /healthy, wsus_unreachable/);
  t.like((await call('GET', '/v1/machines?cursor=garbage')).body, { code: 'WUW_BAD_REQUEST' });
  t.like((await call('GET', '/v1/machines?limit=0')).body, { code: 'WUW_BAD_REQUEST' });
});

const DAY = 24 * 3_600_000;
const OLD_LAPTOP = 'http://oldlaptop:8530';

/** Enrolls an agent and streams `events` through the real endpoint. */
async function streamed(hostname: string, events: ReturnType<typeof detectionEvent>[]): Promise<string> {
  const s = await call<{ secret: string }>('POST', '/v1/enroll-secrets', { body: {} });
  const { agentId, token } = (await enroll(s.body.secret)).body as { agentId: string; token: string };
  const agent = await TestAgent.connect(tc.wsUrl, token);
  await agent.hello(agentId, hostname);
  await agent.batch(1, events);
  agent.close();
  await agent.closed;
  const { rows } = await tc.collector.db.query<{ id: string }>('SELECT id FROM machines WHERE agent_id = $1', [
    agentId,
  ]);
  return rows[0]!.id;
}

test.serial(
  'GET /v1/machines/:id: status with evidence, recent events newest first, a per-day detection timeline',
  async (t) => {
    const now = Date.now();
    const d2 = new Date(now - 2 * DAY);
    const d1 = new Date(now - DAY);
    const id = await streamed('sql07', [
      policyEvent(1, new Date(now - 3 * DAY), wsusPolicy(OLD_LAPTOP)),
      detectionEvent(2, d2, 'succeeded'),
      detectionEvent(3, new Date(d2.getTime() + 3_600_000), 'failed', { hresult: '0x80072EFD' }),
      detectionEvent(4, d1, 'failed', { hresult: '0x80244022' }),
      detectionEvent(5, new Date(d1.getTime() + 3_600_000), 'failed', { hresult: '0x80244022' }),
      probeEvent(6, new Date(now - 60_000), OLD_LAPTOP, {
        class: 'refused',
        httpStatus: null,
        failedStep: 'tcp',
        hresult: '0x80072EFD',
      }),
    ]);
    const r = await call<{
      hostname: string;
      status: string;
      consecutive_detection_failures: number;
      last_acked_seq: string;
      status_reasons: { code: string; evidence: Record<string, unknown> }[];
      recentEvents: { seq: string; kind: string }[];
      timeline: { day: string; succeeded: number; failed: number; hresults: string[] }[];
    }>('GET', `/v1/machines/${id}`);
    t.is(r.status, 200);
    t.like(r.body, { hostname: 'sql07', status: 'wsus_unreachable', consecutive_detection_failures: 3 });
    t.is(Number(r.body.last_acked_seq), 6);
    t.like(r.body.status_reasons[0], {
      code: 'PROBE_UNREACHABLE',
      evidence: { url: OLD_LAPTOP, probeClass: 'refused' },
    });
    t.like(
      r.body.status_reasons.find((x) => x.code === 'DETECTION_FAILING'),
      { evidence: { hresult: '0x80244022', hresultName: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL', count: 3 } },
    );
    t.deepEqual(
      r.body.recentEvents.map((e) => Number(e.seq)),
      [6, 5, 4, 3, 2, 1],
    );
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const byDay = new Map(r.body.timeline.map((x) => [x.day, x]));
    const first = byDay.get(day(d2))!;
    const second = byDay.get(day(d1))!;
    // Detections an hour apart may straddle UTC midnight; the totals do not depend on that.
    t.is(
      r.body.timeline.reduce((n, x) => n + x.succeeded, 0),
      1,
    );
    t.is(
      r.body.timeline.reduce((n, x) => n + x.failed, 0),
      3,
    );
    t.truthy(first);
    t.truthy(second);
    t.true(second.hresults.includes('0x80244022'));

    const missing = await call('GET', '/v1/machines/no-such-machine');
    t.is(missing.status, 404);
    t.like(missing.body, { code: 'WUW_NOT_FOUND' });
    t.regex(String(missing.body.message), /no-such-machine/);
    const route = await call('GET', '/v1/nothing-here', { token: null });
    t.is(route.status, 404);
    t.like(route.body, { code: 'WUW_NOT_FOUND' });
  },
);

test.serial('GET /v1/wsus-servers: the orphan pointer is flagged, a shared reachable server is not', async (t) => {
  const now = Date.now();
  for (const host of ['app01', 'app02']) {
    await streamed(host, [
      policyEvent(1, new Date(now - DAY), wsusPolicy(URL_A)),
      probeEvent(2, new Date(now - 60_000), URL_A),
    ]);
  }
  const r = await call<{
    items: {
      url: string;
      machines: number;
      reachable: number;
      unreachable: number;
      state: string;
      orphan: boolean;
      lastAnswerAt: string | null;
      note: string;
    }[];
  }>('GET', '/v1/wsus-servers');
  t.is(r.status, 200);
  const orphan = r.body.items.find((w) => w.url === OLD_LAPTOP);
  t.like(orphan, { machines: 1, reachable: 0, unreachable: 1, state: 'unreachable', orphan: true });
  t.regex(orphan!.note, /Only sql07 points at/);
  const a = r.body.items.find((w) => w.url === URL_A)!;
  t.is(a.reachable, 2);
  t.false(a.orphan);
  t.truthy(a.lastAnswerAt);
  t.is(r.body.items.filter((w) => w.orphan).length, 1);
});

test.serial('GET /v1/summary counts machines per status, every status present', async (t) => {
  const r = await call<{ total: number; byStatus: Record<string, number> }>('GET', '/v1/summary');
  const { rows } = await tc.collector.db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM machines GROUP BY status',
  );
  t.is(
    r.body.total,
    rows.reduce((n, x) => n + x.n, 0),
  );
  t.deepEqual(Object.keys(r.body.byStatus).sort(), [
    'detect_failing',
    'detect_stale',
    'healthy',
    'misconfigured',
    'silent',
    'unknown',
    'wsus_error',
    'wsus_unreachable',
  ]);
  for (const row of rows) t.is(r.body.byStatus[row.status], row.n);
  t.is(r.body.byStatus.healthy, 125 + 2);
});

test.serial('/healthz answers without a token and names the database', async (t) => {
  const r = await call('GET', '/healthz', { token: null });
  t.is(r.status, 200);
  t.deepEqual(r.body, { status: 'ok', database: 'postgres' });
});

test.serial(
  '/metrics: Prometheus text with machines per status, agents, events, ingest latency, database errors',
  async (t) => {
    const r = await call<string>('GET', '/metrics', { token: null });
    t.is(r.status, 200);
    t.regex(r.type, /^text\/plain/);
    const text = r.body;
    t.regex(text, /^# TYPE wuwatch_machines gauge$/m);
    t.regex(text, /^wuwatch_machines\{status="healthy"\} 127$/m);
    t.regex(text, /^wuwatch_machines\{status="wsus_unreachable"\} \d+$/m);
    t.regex(text, /^wuwatch_connected_agents \d+$/m);
    t.regex(text, /^wuwatch_events_ingested_total 10$/m, '6 + 2 × 2 events streamed by this file');
    t.regex(text, /^# TYPE wuwatch_ingest_batch_seconds histogram$/m);
    t.regex(text, /^wuwatch_ingest_batch_seconds_bucket\{le="\+Inf"\} 3$/m);
    t.regex(text, /^wuwatch_ingest_batch_seconds_count 3$/m);
    t.regex(text, /^wuwatch_database_errors_total 0$/m);
  },
);

test.serial(
  'a failing database: API answers 503 WUW_DATABASE, /metrics still renders and counts the errors',
  async (t) => {
    await tc.collector.db.query('ALTER TABLE machines RENAME TO machines_away');
    try {
      const r = await call('GET', '/v1/summary');
      t.is(r.status, 503);
      t.is(r.body.code, 'WUW_DATABASE');
      t.regex(String(r.body.message), /machines/);
      const m = await call<string>('GET', '/metrics', { token: null });
      t.is(m.status, 200);
      t.regex(m.body, /^wuwatch_database_errors_total 2$/m);
      t.notRegex(m.body, /wuwatch_machines\{/);
    } finally {
      await tc.collector.db.query('ALTER TABLE machines_away RENAME TO machines');
    }
    t.is((await call('GET', '/v1/summary')).status, 200);
  },
);

test.serial('401 carries WWW-Authenticate: Bearer; an agent token on the query API is 403, not 401', async (t) => {
  const none = await fetch(tc.url + '/v1/summary');
  t.is(none.status, 401);
  t.is(none.headers.get('www-authenticate'), 'Bearer realm="wuwatch"');
  await none.arrayBuffer();

  const secret = await call<{ secret: string }>('POST', '/v1/enroll-secrets', { body: {} });
  const agent = await enroll(secret.body.secret);
  const asAgent = await call('GET', '/v1/machines', { token: agent.body.token! });
  t.is(asAgent.status, 403);
  t.is(asAgent.body.code, 'WUW_FORBIDDEN');
  t.regex(String(asAgent.body.message), /agent token.*wuwatch token create/);
});

test.serial('a known path with another method is 405 with Allow; an unknown path stays 404', async (t) => {
  const put = await fetch(tc.url + '/v1/summary', {
    method: 'PUT',
    headers: { authorization: `Bearer ${tc.adminToken}` },
  });
  t.is(put.status, 405);
  t.is(put.headers.get('allow'), 'GET, HEAD');
  const body = (await put.json()) as { code: string; message: string };
  t.is(body.code, 'WUW_METHOD_NOT_ALLOWED');
  t.regex(body.message, /PUT is not allowed on \/v1\/summary/);

  const patch = await fetch(tc.url + '/v1/tokens/tok_1', { method: 'PATCH' });
  t.is(patch.status, 405);
  t.is(patch.headers.get('allow'), 'DELETE');
  await patch.arrayBuffer();

  const enrollGet = await fetch(tc.url + '/v1/enroll');
  t.is(enrollGet.status, 405);
  t.is(enrollGet.headers.get('allow'), 'POST');
  await enrollGet.arrayBuffer();

  t.is((await call('GET', '/v1/nothing-here')).status, 404);
});
