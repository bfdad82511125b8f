// Issue 14, finding 6: enrollment secrets had unlimited uses and no rate limit, and one expiring in year 0000 gave
// 503. Now: maxUses counted atomically, expiry checked at creation (a clear 400), attempts limited per address.
import test from 'ava';
import { startTestCollector, api, type TestCollector } from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector({ limits: { enrollPerMinutePerAddress: 1000 } });
});
test.after.always(async () => {
  await tc?.close();
});

const enroll = (c: TestCollector, secret: string) =>
  fetch(c.url + '/v1/enroll', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, hostname: 'srv' }),
  });

test('an expiry in year 0000, in the past or past year 9999 is a clear 400, not a 503', async (t) => {
  for (const expiresAt of ['0000-01-01T00:00:00Z', '2001-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
    const r = await api<{ code: string; message: string }>(tc, 'POST', '/v1/enroll-secrets', { expiresAt });
    t.is(r.status, 400, expiresAt);
    t.is(r.body.code, 'WUW_BAD_REQUEST');
    t.regex(r.body.message, /expiresAt must be a time in the future/);
  }
  const ok = await api(tc, 'POST', '/v1/enroll-secrets', { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  t.is(ok.status, 201);
});

test('a secret with maxUses enrols exactly that many agents, even when they race', async (t) => {
  const s = await api<{ id: string; secret: string }>(tc, 'POST', '/v1/enroll-secrets', { maxUses: 3 });
  t.is(s.status, 201);
  const results = await Promise.all(Array.from({ length: 10 }, () => enroll(tc, s.body.secret)));
  t.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, ...Array<number>(7).fill(401)]);
  const body = (await (await enroll(tc, s.body.secret)).json()) as { code: string; message: string };
  t.is(body.code, 'WUW_ENROLL_SECRET_INVALID');
  t.regex(body.message, /used up/);
  const list = await api<{ items: { id: string; uses: number; maxUses: number | null }[] }>(
    tc,
    'GET',
    '/v1/enroll-secrets',
  );
  t.like(
    list.body.items.find((i) => i.id === s.body.id),
    { uses: 3, maxUses: 3 },
  );
});

test('enrollment attempts are limited per address: 429 past the budget, the collector keeps serving', async (t) => {
  const limited = await startTestCollector({ limits: { enrollPerMinutePerAddress: 5 } });
  t.teardown(() => limited.close());
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await enroll(limited, `wrong-secret-${i}`)).status);
  t.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
  const body = (await (await enroll(limited, 'again')).json()) as { code: string };
  t.is(body.code, 'WUW_RATE_LIMITED');
  t.is((await fetch(limited.url + '/healthz')).status, 200);
});

test('API token scopes: a read token may GET but not change anything; an admin token may', async (t) => {
  const read = await api<{ token: string; scope: string }>(tc, 'POST', '/v1/tokens', { name: 'grafana' });
  t.is(read.body.scope, 'read', 'read is the default');
  const admin = await api<{ token: string }>(tc, 'POST', '/v1/tokens', { name: 'ops', scope: 'admin' });
  const as = (token: string) => ({ url: tc.url, adminToken: token });
  t.is((await api(as(read.body.token), 'GET', '/v1/machines')).status, 200);
  t.is((await api(as(read.body.token), 'GET', '/v1/quarantine')).status, 200);
  for (const [method, path, body] of [
    ['POST', '/v1/enroll-secrets', {}],
    ['POST', '/v1/tokens', { name: 'escalate', scope: 'admin' }],
    ['DELETE', '/v1/agents/agt_nope', undefined],
    ['POST', '/v1/silences', { rule: 'detect_failures', until: new Date(Date.now() + 60_000).toISOString() }],
  ] as const) {
    const r = await api<{ code: string; message: string }>(as(read.body.token), method, path, body);
    t.is(r.status, 403, `${method} ${path}`);
    t.is(r.body.code, 'WUW_FORBIDDEN');
    t.regex(r.body.message, /read scope.*--scope admin/);
  }
  t.is((await api(as(admin.body.token), 'POST', '/v1/enroll-secrets', {})).status, 201);
  const list = await api<{ items: { label: string; scope: string }[] }>(tc, 'GET', '/v1/tokens');
  t.like(
    list.body.items.find((i) => i.label === 'grafana'),
    { scope: 'read' },
  );
});

test('silence fields are bounded: year 0000, year 9999 and oversized matchers are a clear 400', async (t) => {
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  for (const body of [
    { rule: 'detect_failures', until: '0000-01-01T00:00:00Z' },
    { rule: 'detect_failures', until: '9999-12-31T00:00:00Z' },
    { machineId: 'm'.repeat(10_000), until: soon },
    { wsusUrl: 'http://' + 'w'.repeat(5000), until: soon },
  ]) {
    const r = await api<{ code: string }>(tc, 'POST', '/v1/silences', body);
    t.is(r.status, 400, JSON.stringify(body).slice(0, 80));
    t.is(r.body.code, 'WUW_BAD_REQUEST');
  }
  t.is((await api(tc, 'POST', '/v1/silences', { rule: 'detect_failures', until: soon })).status, 201);
});
