// The dashboard over real HTTP against a real collector and database: login and sessions, bearer access, and the
// pages' data (counts, filters, paging, the machine page's explanation, WSUS orphans). Serial: one shared fleet.
import test from 'ava';
import { describeHresult } from '@wuwatch/core';
import { escapeHtml } from '../src/dashboard/html.js';
import { api, enrollAgent, startTestCollector, TestAgent, type TestCollector } from './helpers/collector.js';
import { detectionEvent, policyEvent, probe503, probeEvent, wsusPolicy } from './helpers/events.js';

const HOSTILE = '<script>alert(1)</script>';
const DEAD = 'http://wsus-dead.corp.example:8530';
const LIVE = 'http://wsus-live.corp.example:8530';

let tc: TestCollector;
const agents: TestAgent[] = [];
const ids: Record<string, string> = {};

async function machine(hostname: string, wsus: string, failing: boolean): Promise<void> {
  const creds = await enrollAgent(tc, hostname);
  const a = await TestAgent.connect(tc.wsUrl, creds.token);
  agents.push(a);
  await a.hello(creds.agentId, hostname);
  const now = Date.now();
  const at = (s: number) => new Date(now - 60_000 + s * 1000);
  const events = failing
    ? [
        policyEvent(1, at(0), wsusPolicy(wsus)),
        probe503(2, at(1), wsus),
        detectionEvent(3, at(2), 'failed'),
        detectionEvent(4, at(3), 'failed'),
        detectionEvent(5, at(4), 'failed'),
      ]
    : [policyEvent(1, at(0), wsusPolicy(wsus)), probeEvent(2, at(1), wsus), detectionEvent(3, at(2), 'succeeded')];
  await a.batch(1, events);
}

test.before(async () => {
  tc = await startTestCollector({}, { dashboard: { historyIntervalMs: 100 } });
  await machine('srv-503', DEAD, true);
  await machine('srv-ok-1', LIVE, false);
  await machine('srv-ok-2', LIVE, false);
  await machine(HOSTILE, LIVE, false);
  const list = await api<{ items: { id: string; hostname: string }[] }>(tc, 'GET', '/v1/machines');
  for (const m of list.body.items) ids[m.hostname] = m.id;
});
test.after.always(async () => {
  for (const a of agents) a.close();
  await tc?.close();
});

interface Page {
  status: number;
  location: string | null;
  setCookie: string | null;
  type: string;
  headers: Headers;
  text: string;
}

async function get(
  path: string,
  opts: { cookie?: string; bearer?: string; headers?: Record<string, string> } = {},
): Promise<Page> {
  const res = await fetch(tc.url + path, {
    redirect: 'manual',
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
      ...opts.headers,
    },
  });
  return toPage(res);
}

async function post(path: string, form: Record<string, string>, cookie?: string): Promise<Page> {
  const res = await fetch(tc.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return toPage(res);
}

async function toPage(res: Response): Promise<Page> {
  return {
    status: res.status,
    location: res.headers.get('location'),
    setCookie: res.headers.get('set-cookie'),
    type: res.headers.get('content-type') ?? '',
    headers: res.headers,
    text: await res.text(),
  };
}

/** Logs in with a token and returns the cookie to send back. */
async function login(token: string): Promise<string> {
  const r = await post('/login', { token, next: '/' });
  if (r.status !== 303 || !r.setCookie) throw new Error(`login failed: ${r.status} ${r.text}`);
  return r.setCookie.split(';')[0]!;
}

function hostnamesOf(text: string): string[] {
  return [...text.matchAll(/<tr data-hostname="([^"]*)"/g)].map((m) => m[1]!);
}

test.serial(
  'without a session every page redirects to the login page, which is served with its stylesheet',
  async (t) => {
    for (const path of ['/', '/machines?status=wsus_unreachable', `/machines/${ids['srv-503']}`, '/wsus']) {
      const r = await get(path);
      t.is(r.status, 303, path);
      t.is(r.location, path === '/' ? '/login' : `/login?next=${encodeURIComponent(path)}`);
    }
    const loginPage = await get('/login?next=%2Fwsus');
    t.is(loginPage.status, 200);
    t.regex(loginPage.type, /^text\/html/);
    t.true(loginPage.text.includes('<form method="post" action="/login">'));
    t.true(loginPage.text.includes('<input type="hidden" name="next" value="/wsus">'));
    t.regex(loginPage.headers.get('content-security-policy') ?? '', /default-src 'none'.*style-src 'self'/);
    t.is(loginPage.headers.get('cache-control'), 'no-store');
    const css = await get('/dashboard.css');
    t.is(css.status, 200);
    t.regex(css.type, /^text\/css/);
    t.true(css.text.includes('.badge'));
    const etag = css.headers.get('etag')!;
    t.is((await get('/dashboard.css', { headers: { 'if-none-match': etag } })).status, 304);
    t.is((await get('/login?next=//evil.example/')).text.includes('value="/"'), true, 'no open redirect');
  },
);

test.serial('a bad or empty token is refused with the login page again and no cookie', async (t) => {
  for (const token of ['wwt_not-a-real-token', '']) {
    const r = await post('/login', { token, next: '/wsus' });
    t.is(r.status, 401);
    t.is(r.setCookie, null);
    t.true(r.text.includes('That token is unknown or revoked'));
    t.true(r.text.includes('name="next" value="/wsus"'), 'the destination survives the retry');
  }
});

test.serial(
  'a good API token gives an HttpOnly SameSite=Strict session cookie (not the token) and a redirect to next',
  async (t) => {
    const created = await api<{ id: string; token: string }>(tc, 'POST', '/v1/tokens', { name: 'dashboard' });
    const r = await post('/login', { token: created.body.token, next: '/machines?status=healthy' });
    t.is(r.status, 303);
    t.is(r.location, '/machines?status=healthy');
    const cookie = r.setCookie ?? '';
    // Exactly these attributes, in whatever order @fastify/cookie writes them.
    const [pair, ...attributes] = cookie.split('; ');
    t.regex(pair!, /^wuwatch_session=[A-Za-z0-9_-]{43}$/);
    t.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict']);
    // The Cookie header as browsers and proxies send it: other cookies around it, duplicates (the first wins, as
    // RFC 6265 orders them most specific first), percent-encoding.
    const id = pair!.slice('wuwatch_session='.length);
    const status = async (header: string) => (await get('/machines', { cookie: header })).status;
    t.is(await status(`a=1; ${pair}; a=2; junk; q="x y"`), 200);
    t.is(await status(`${pair}; wuwatch_session=forged`), 200);
    t.is(await status(`wuwatch_session=forged; ${pair}`), 303);
    // cookie 2 keeps DQUOTEs as part of the value (RFC 6265 cookie-value); the collector never quotes its id.
    t.is(await status(`wuwatch_session="${id}"`), 303, 'a quoted id is another value, not the session');
    t.is(await status(`wuwatch_session=%${id.charCodeAt(0).toString(16)}${id.slice(1)}`), 200);
    t.is(await status(`wuwatch_session=%E0%A4%A; ${pair}`), 303, 'a broken encoding is a wrong id, not a crash');
    t.false(cookie.includes(created.body.token));
    t.false(cookie.includes(created.body.token.slice(4, 20)));
    const page = await get('/machines?status=healthy', { cookie: cookie.split(';')[0] });
    t.is(page.status, 200);
    t.true(page.text.includes('Log out'));
    const again = await get('/login', { cookie: cookie.split(';')[0] });
    t.is(again.status, 303, 'the login page sends a logged-in browser on');
    t.is((await get('/', { cookie: 'wuwatch_session=forged' })).status, 303, 'an unknown session id is not a session');
  },
);

test.serial('revoking the token that logged in ends the session; logout ends it too', async (t) => {
  const created = await api<{ id: string; token: string }>(tc, 'POST', '/v1/tokens', { name: 'short-lived' });
  const cookie = await login(created.body.token);
  t.is((await get('/', { cookie })).status, 200);
  t.is((await api(tc, 'DELETE', `/v1/tokens/${created.body.id}`)).status, 204);
  t.is((await get('/', { cookie })).status, 303);

  const admin = await login(tc.adminToken);
  t.is((await get('/wsus', { cookie: admin })).status, 200, 'the admin token logs in too');
  const out = await post('/logout', {}, admin);
  t.is(out.status, 303);
  t.is(out.location, '/login');
  t.regex(out.setCookie ?? '', /^wuwatch_session=; .*Max-Age=0/);
  t.is((await get('/wsus', { cookie: admin })).status, 303, 'the old cookie no longer works');
});

test.serial('scripts may use Authorization: Bearer; a bad bearer token gets a 401 page, not a redirect', async (t) => {
  const ok = await get('/wsus', { bearer: tc.adminToken });
  t.is(ok.status, 200);
  t.regex(ok.type, /^text\/html/);
  const bad = await get('/wsus', { bearer: 'wwt_nope' });
  t.is(bad.status, 401);
  t.true(bad.text.includes('The bearer token is unknown or revoked.'));
});

test.serial(
  'the fleet page shows the same counts as GET /v1/summary, each linking to the filtered list, and a chart',
  async (t) => {
    const cookie = await login(tc.adminToken);
    await new Promise((r) => setTimeout(r, 350)); // a few history samples at 100 ms
    const r = await get('/', { cookie });
    t.is(r.status, 200);
    const summary = await api<{ total: number; byStatus: Record<string, number> }>(tc, 'GET', '/v1/summary');
    t.is(summary.body.byStatus.wsus_unreachable, 1);
    t.is(summary.body.byStatus.healthy, 3);
    for (const [status, count] of Object.entries(summary.body.byStatus)) {
      t.regex(
        r.text,
        new RegExp(`data-status="${status}" href="/machines\\?status=${status}"><span class="count">${count}</span>`),
      );
    }
    t.regex(
      r.text,
      new RegExp(`data-status="total" href="/machines"><span class="count">${summary.body.total}</span>`),
    );
    t.regex(
      r.text,
      /<g class="series" data-status="healthy"><title>Healthy: 3 now<\/title><polygon [^>]*points="[\d., ]+"/,
    );
    t.true(r.text.includes('<title>WSUS unreachable: 1 now</title>'));
    t.true(
      r.text.includes(`<code>${DEAD}</code></a> <span class="badge orphan">orphan pointer</span>`),
      'the dead server needs attention',
    );
  },
);

test.serial(
  'the machines page filters by status, searches, filters by WSUS server and pages with the API cursor',
  async (t) => {
    const cookie = await login(tc.adminToken);
    const unreachable = await get('/machines?status=wsus_unreachable', { cookie });
    t.deepEqual(hostnamesOf(unreachable.text), ['srv-503']);
    t.true(unreachable.text.includes('<option value="wsus_unreachable" selected>'));
    const healthy = await get('/machines?status=healthy', { cookie });
    t.deepEqual(hostnamesOf(healthy.text).sort(), [escapeHtml(HOSTILE), 'srv-ok-1', 'srv-ok-2'].sort());
    t.false(healthy.text.includes(HOSTILE), 'the hostile hostname never appears unescaped');
    t.true(healthy.text.includes(`>${escapeHtml(HOSTILE)}</a>`));
    t.deepEqual(hostnamesOf((await get('/machines?q=OK-', { cookie })).text), ['srv-ok-1', 'srv-ok-2']);
    t.deepEqual(hostnamesOf((await get(`/machines?wsus=${encodeURIComponent(DEAD + '/')}`, { cookie })).text), [
      'srv-503',
    ]);
    t.true((await get('/machines?status=silent', { cookie })).text.includes('No machines match.'));

    const seen: string[] = [];
    let path: string | null = '/machines?limit=1';
    let pages = 0;
    while (path) {
      const p = await get(path, { cookie });
      t.is(p.status, 200);
      const hosts = hostnamesOf(p.text);
      t.is(hosts.length, 1);
      seen.push(...hosts);
      const next = /<a rel="next" href="([^"]+)">/.exec(p.text)?.[1];
      path = next ? next.replace(/&amp;/g, '&') : null;
      if (path) t.regex(path, /^\/machines\?limit=1&cursor=/);
      pages++;
    }
    t.is(pages, 4);
    t.deepEqual(seen, [escapeHtml(HOSTILE), 'srv-503', 'srv-ok-1', 'srv-ok-2']);
  },
);

test.serial(
  'the machine page shows the 0x80244022 explanation with its fix, the policy, the probe and the timeline',
  async (t) => {
    const cookie = await login(tc.adminToken);
    const r = await get(`/machines/${ids['srv-503']}`, { cookie });
    t.is(r.status, 200);
    const d = describeHresult('0x80244022');
    t.true(r.text.includes('<code>0x80244022</code> WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL'));
    t.true(r.text.includes(escapeHtml(d.description)));
    t.true(r.text.includes(escapeHtml(d.remedy.split('\n')[0]!)));
    t.regex(r.text, /<dt>WUServer<\/dt><dd data-value="WUServer"><code>http:\/\/wsus-dead\.corp\.example:8530<\/code>/);
    t.regex(r.text, /<dt>UseWUServer<\/dt><dd data-value="UseWUServer"><code>1<\/code>/);
    t.regex(r.text, /<dt>HTTP status<\/dt><dd>503<\/dd>/);
    t.true(r.text.includes('data-reason="PROBE_UNREACHABLE"'));
    t.true(r.text.includes('data-reason="DETECTION_FAILING"'));
    const today = new Date().toISOString().slice(0, 10);
    t.true(
      r.text.includes(`data-day="${today}" data-succeeded="0" data-failed="3"`),
      'three failures today in the timeline',
    );
    t.true(r.text.includes('<h2>Alerts</h2>'));

    const hostile = await get(`/machines/${ids[HOSTILE]}`, { cookie });
    t.true(hostile.text.includes(`<title>${escapeHtml(HOSTILE)} · wuwatch</title>`));
    t.false(hostile.text.includes(HOSTILE));
  },
);

test.serial('errors are HTML pages: unknown machine 404, bad filter 400; the JSON API is unchanged', async (t) => {
  const cookie = await login(tc.adminToken);
  const missing = await get('/machines/00000000-0000-0000-0000-000000000000', { cookie });
  t.is(missing.status, 404);
  t.regex(missing.type, /^text\/html/);
  t.true(missing.text.includes('was not found'));
  const bad = await get('/machines?status=on_fire', { cookie });
  t.is(bad.status, 400);
  t.true(bad.text.includes('status must be one of'));
  t.is((await get('/machines?cursor=garbage', { cookie })).status, 400);

  const json = await get('/v1/summary', { cookie });
  t.is(json.status, 401, 'a dashboard session is not an API credential');
  t.regex(json.type, /application\/json/);
  t.is(json.headers.get('content-security-policy'), null, 'dashboard headers stay off the API');
  const unknown = await get('/nope', { cookie });
  t.is(unknown.status, 404);
  t.regex(unknown.type, /application\/json/);
});

test.serial(
  'the WSUS page lists each server with machines and reachability and flags the orphan pointer',
  async (t) => {
    const r = await get('/wsus', { cookie: await login(tc.adminToken) });
    t.regex(r.text, /<tr data-url="http:\/\/wsus-dead\.corp\.example:8530" class="orphan">/);
    t.regex(
      r.text,
      /<tr data-url="http:\/\/wsus-live\.corp\.example:8530">[\s\S]*?<td class="num">3<\/td>\s*<td class="num">3<\/td>\s*<td class="num">0<\/td>/,
    );
  },
);
