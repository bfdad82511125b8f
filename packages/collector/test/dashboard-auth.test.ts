// Issue 14, finding 6: login CSRF. A page on another site posting the login form is refused; the collector's own
// login page (same origin) and non-browser clients still log in.
import test from 'ava';
import { startTestCollector, api, type TestCollector } from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector({ alerts: { schedule: '0 0 1 1 *' } });
});
test.after.always(async () => {
  await tc?.close();
});

const login = (token: string, headers: Record<string, string>) =>
  fetch(tc.url + '/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next: '/' }).toString(),
  });

test('a login posted from another site is refused; same-origin and script logins work', async (t) => {
  const { body } = await api<{ token: string }>(tc, 'POST', '/v1/tokens', { name: 'viewer' });
  for (const headers of <Record<string, string>[]>[
    { origin: 'https://evil.example' },
    { origin: 'null', 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site', origin: 'https://sub.example' },
  ]) {
    const r = await login(body.token, headers);
    t.is(r.status, 403, JSON.stringify(headers));
    t.is(r.headers.get('set-cookie'), null, 'no session for a cross-site post');
  }
  // What Chromium sends for the dashboard's own form (Referrer-Policy no-referrer makes Origin "null").
  const own = await login(body.token, { origin: 'null', 'sec-fetch-site': 'same-origin' });
  t.is(own.status, 303);
  t.truthy(own.headers.get('set-cookie'));
  t.is((await login(body.token, {})).status, 303, 'a client that says nothing (curl) is not a browser');
});
