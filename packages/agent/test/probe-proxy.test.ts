import test from 'ava';
import { chooseRoute, isBypassed, parseBypassList, parseProxy } from '../src/probe/index.js';

test('bypass list strings split like WinHTTP (semicolons and spaces)', (t) => {
  t.deepEqual(parseBypassList('*.corp.example;<local> 10.*'), ['*.corp.example', '<local>', '10.*']);
  t.deepEqual(parseBypassList(['a;b', ' c ', '']), ['a', 'b', 'c']);
});

test('<local> matches host names without a dot only', (t) => {
  t.true(isBypassed('wsus01', 8530, ['<local>']));
  t.true(isBypassed('WSUS01', 8530, '<LOCAL>'));
  t.false(isBypassed('wsus01.corp.example', 8530, ['<local>']));
  t.false(isBypassed('10.1.2.3', 8530, ['<local>']));
  t.false(isBypassed('::1', 8530, ['<local>']));
});

test('wildcards and exact names, case-insensitive', (t) => {
  t.true(isBypassed('wsus01.corp.example', 8530, ['*.corp.example']));
  t.true(isBypassed('WSUS01.Corp.Example', 8530, ['*.CORP.example']));
  t.false(isBypassed('corp.example', 8530, ['*.corp.example']));
  t.false(isBypassed('wsus01.corp.example.evil.test', 8530, ['*.corp.example']));
  t.true(isBypassed('10.20.30.40', 8530, ['10.*']));
  t.false(isBypassed('110.20.30.40', 8530, ['10.*']));
  t.true(isBypassed('wsus01.corp.example', 8530, ['wsus01.corp.example']));
  t.false(isBypassed('wsus011.corp.example', 8530, ['wsus01.corp.example']));
  t.true(isBypassed('wsus-a.corp.example', 8530, ['wsus*.corp.example']));
  // Regex metacharacters in entries are literal.
  t.false(isBypassed('wsusXcorp.example', 8530, ['wsus.corp.example']));
});

test('entries with a scheme prefix or a port', (t) => {
  t.true(isBypassed('wsus01.corp.example', 8530, ['http://wsus01.corp.example']));
  t.true(isBypassed('wsus01.corp.example', 8530, ['wsus01.corp.example:8530']));
  t.false(isBypassed('wsus01.corp.example', 8531, ['wsus01.corp.example:8530']));
  t.true(isBypassed('wsus01.corp.example', 8531, ['wsus01.corp.example:*']));
  t.true(isBypassed('::1', 8530, ['[::1]']));
});

test('proxy strings: bare, with scheme, per scheme, with credentials', (t) => {
  t.deepEqual(parseProxy('proxy.corp.example:3128', 'http'), {
    host: 'proxy.corp.example',
    port: 3128,
    authorization: null,
    display: 'proxy.corp.example:3128',
  });
  t.like(parseProxy('http://proxy.corp.example', 'https'), { host: 'proxy.corp.example', port: 80 });
  const perScheme = 'http=p1.corp.example:8080;https=p2.corp.example:8443';
  t.like(parseProxy(perScheme, 'http'), { host: 'p1.corp.example', port: 8080 });
  t.like(parseProxy(perScheme, 'https'), { host: 'p2.corp.example', port: 8443 });
  t.is(parseProxy('https=p2.corp.example:8443', 'http'), null);
  const withCreds = parseProxy('http://svc%40corp:p%3Ass@proxy:8080', 'http');
  t.is(withCreds?.authorization, 'Basic ' + Buffer.from('svc@corp:p:ss').toString('base64'));
  t.is(withCreds?.display, 'proxy:8080');
  t.is(parseProxy('', 'http'), null);
});

test('chooseRoute: no proxy, proxied, bypassed', (t) => {
  const target = { protocol: 'http:' as const, hostname: 'wsus01.corp.example', port: 8530 };
  t.deepEqual(chooseRoute(target, null), { kind: 'direct' });
  t.deepEqual(chooseRoute(target, undefined), { kind: 'direct' });
  const route = chooseRoute(target, { url: 'proxy:3128', bypass: ['<local>'] });
  t.is(route.kind, 'proxy');
  t.deepEqual(chooseRoute(target, { url: 'proxy:3128', bypass: ['*.corp.example'] }), { kind: 'direct' });
  t.deepEqual(chooseRoute({ ...target, hostname: 'wsus01' }, { url: 'proxy:3128', bypass: ['<local>'] }), {
    kind: 'direct',
  });
  // A proxy string with only an https entry leaves http targets direct.
  t.deepEqual(chooseRoute(target, { url: 'https=proxy:3128', bypass: [] }), { kind: 'direct' });
});
