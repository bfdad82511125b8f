import test from 'ava';
import { ProbeData as ProbeDataSchema } from '@wuwatch/core';
import type { ProbeData } from '@wuwatch/core';
import { buildGet, parseWsusUrl, probeWsus, tlsFailure } from '../src/probe/index.js';
import type { LookupFn } from '../src/probe/index.js';
import { startProxyStandin, startSilentServer, startWsusStandin, TEST_TLS } from './helpers/wsus-standin.js';

/** Resolves only the names a test maps, and records every lookup: tests never touch real DNS. */
function fakeDns(map: Record<string, string> = {}) {
  const asked: string[] = [];
  const lookup: LookupFn = (host) => {
    asked.push(host);
    const address = map[host];
    if (address === undefined) {
      return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve({ address, family: 4 });
  };
  return { lookup, asked };
}

const stepNames = (d: ProbeData) => d.steps.map((s) => `${s.step}:${s.ok ? 'ok' : 'fail'}`);

function valid(t: { notThrows(fn: () => unknown): void }, d: ProbeData) {
  t.notThrows(() => ProbeDataSchema.parse(d));
}

test('healthy server: ok with timed steps dns, tcp, http and the client.asmx check', async (t) => {
  const wsus = await startWsusStandin('healthy');
  t.teardown(() => wsus.close());
  const d = await probeWsus(wsus.url, { lookup: fakeDns().lookup });
  valid(t, d);
  t.like(d, { url: wsus.url, class: 'ok', ok: true, httpStatus: 200, failedStep: null, hresult: null });
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:ok', 'http:ok', 'asmx:ok']);
  t.true(d.steps.every((s) => s.ms >= 0));
  t.deepEqual(
    wsus.requests.map((r) => `${r.method} ${r.url}`),
    ['GET /selfupdate/wuident.cab', 'GET /ClientWebService/client.asmx'],
  );
  t.is(wsus.requests[0]?.host, `127.0.0.1:${wsus.port}`);
});

test('a WUServer with a path and a trailing slash probes below that path', async (t) => {
  const wsus = await startWsusStandin('healthy', { basePath: '/wsus', asmxStatus: 401 });
  t.teardown(() => wsus.close());
  const d = await probeWsus(`${wsus.url}/`);
  t.is(d.class, 'ok');
  t.regex(d.message ?? '', /client\.asmx answered HTTP 401/);
  t.deepEqual(
    wsus.requests.map((r) => r.url),
    ['/wsus/selfupdate/wuident.cab', '/wsus/ClientWebService/client.asmx'],
  );
});

test('host names are resolved through the injected lookup, once', async (t) => {
  const wsus = await startWsusStandin('healthy');
  t.teardown(() => wsus.close());
  const dns = fakeDns({ 'wsus01.corp.test': '127.0.0.1' });
  const d = await probeWsus(`http://wsus01.corp.test:${wsus.port}`, { lookup: dns.lookup });
  t.is(d.class, 'ok');
  t.deepEqual(dns.asked, ['wsus01.corp.test']);
  t.is(wsus.requests[0]?.host, `wsus01.corp.test:${wsus.port}`);
});

test('dead app pool (503): http_status 503 with hresult 0x801901F7', async (t) => {
  const wsus = await startWsusStandin('503');
  t.teardown(() => wsus.close());
  const d = await probeWsus(wsus.url);
  valid(t, d);
  t.like(d, { class: 'http_status', ok: false, httpStatus: 503, failedStep: 'http', hresult: '0x801901F7' });
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:ok', 'http:fail']);
  t.regex(d.message ?? '', /wuident\.cab.*HTTP 503.*WsusPool/);
  t.is(wsus.requests.length, 1, 'client.asmx is not asked after a failed wuident.cab');
});

test('wrong vdir or port (404): http_status 404 with hresult 0x80190194', async (t) => {
  const wsus = await startWsusStandin('404');
  t.teardown(() => wsus.close());
  const d = await probeWsus(wsus.url);
  t.like(d, { class: 'http_status', httpStatus: 404, failedStep: 'http', hresult: '0x80190194' });
});

test('closed port: refused (0x80072EFD) at the tcp step', async (t) => {
  const wsus = await startWsusStandin('refuse');
  const d = await probeWsus(wsus.url);
  valid(t, d);
  t.like(d, { class: 'refused', ok: false, failedStep: 'tcp', hresult: '0x80072EFD', httpStatus: null });
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:fail']);
});

test('hanging server: timeout at the http step within httpMs', async (t) => {
  const wsus = await startWsusStandin('hang');
  t.teardown(() => wsus.close());
  const started = Date.now();
  const d = await probeWsus(wsus.url, { timeouts: { httpMs: 300 } });
  const elapsed = Date.now() - started;
  valid(t, d);
  t.like(d, { class: 'timeout', failedStep: 'http', hresult: '0x80072EE2' });
  t.true(elapsed >= 290 && elapsed < 3000, `took ${elapsed} ms`);
  const http = d.steps.find((s) => s.step === 'http');
  t.true(http !== undefined && http.ms >= 250);
});

test('unresolvable host: dns (0x80072EE7) without querying real DNS', async (t) => {
  const dns = fakeDns();
  const d = await probeWsus('http://wsus-gone.corp.test:8530', { lookup: dns.lookup });
  valid(t, d);
  t.like(d, { class: 'dns', failedStep: 'dns', hresult: '0x80072EE7' });
  t.deepEqual(dns.asked, ['wsus-gone.corp.test']);
  t.deepEqual(stepNames(d), ['dns:fail']);
});

test('a lookup that never answers fails at the dns step within dnsMs', async (t) => {
  const d = await probeWsus('http://slow.corp.test', {
    lookup: () => new Promise(() => undefined),
    timeouts: { dnsMs: 50 },
  });
  t.like(d, { class: 'dns', failedStep: 'dns', hresult: '0x80072EE7' });
  t.regex(d.message ?? '', /timed out/);
});

test('bad scheme or no URL: invalid_url before any network step', async (t) => {
  const dns = fakeDns();
  const ftp = await probeWsus('ftp://wsus01:8530', { lookup: dns.lookup });
  valid(t, ftp);
  t.like(ftp, { class: 'invalid_url', failedStep: 'url', hresult: '0x80072EE6', steps: [] });
  // A WUServer value without scheme parses as scheme "wsus01:" in URL syntax: unknown scheme, as for WinHTTP.
  t.is((await probeWsus('wsus01:8530', { lookup: dns.lookup })).hresult, '0x80072EE6');
  t.like(await probeWsus('not a url', { lookup: dns.lookup }), { class: 'invalid_url', hresult: '0x80072EE5' });
  t.deepEqual(dns.asked, []);
});

test('https with an untrusted certificate: tls (0x80072F0D)', async (t) => {
  const wsus = await startWsusStandin('healthy', { tls: true });
  t.teardown(() => wsus.close());
  const d = await probeWsus(wsus.url);
  valid(t, d);
  t.like(d, { class: 'tls', failedStep: 'tls', hresult: '0x80072F0D' });
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:ok', 'tls:fail']);
  t.is(wsus.requests.length, 0);
});

test('https trusted through ca: ok with a tls step', async (t) => {
  const wsus = await startWsusStandin('healthy', { tls: true });
  t.teardown(() => wsus.close());
  const d = await probeWsus(wsus.url, { ca: [TEST_TLS.cert] });
  valid(t, d);
  t.like(d, { class: 'ok', ok: true, httpStatus: 200 });
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:ok', 'tls:ok', 'http:ok', 'asmx:ok']);
});

test('https to a name the certificate does not carry: tls (0x80072F06)', async (t) => {
  const wsus = await startWsusStandin('healthy', { tls: true });
  t.teardown(() => wsus.close());
  const dns = fakeDns({ 'wsus01.corp.test': '127.0.0.1' });
  const d = await probeWsus(`https://wsus01.corp.test:${wsus.port}`, { ca: [TEST_TLS.cert], lookup: dns.lookup });
  t.like(d, { class: 'tls', failedStep: 'tls', hresult: '0x80072F06' });
});

test('https to a server that never starts the handshake: timeout at the tls step', async (t) => {
  const silent = await startSilentServer();
  t.teardown(() => silent.close());
  const d = await probeWsus(`https://127.0.0.1:${silent.port}`, { timeouts: { tlsMs: 200 } });
  t.like(d, { class: 'timeout', failedStep: 'tls', hresult: '0x80072EE2' });
});

test('http to an https port: the answer is not HTTP', async (t) => {
  const wsus = await startWsusStandin('healthy', { tls: true });
  t.teardown(() => wsus.close());
  const d = await probeWsus(`http://127.0.0.1:${wsus.port}`, { timeouts: { httpMs: 2000 } });
  t.is(d.failedStep, 'http');
  t.false(d.ok);
  t.true(['0x80072F78', '0x80072EFE', '0x80072EFF'].includes(d.hresult ?? ''), d.hresult ?? 'null');
});

test('through the proxy (absolute-form GET), and a bypassed host goes direct', async (t) => {
  const wsus = await startWsusStandin('healthy');
  const proxy = await startProxyStandin({ hosts: { 'wsus01.corp.test': '127.0.0.1' } });
  t.teardown(async () => {
    await proxy.close();
    await wsus.close();
  });
  const dns = fakeDns({ 'wsus01.corp.test': '127.0.0.1' });
  const target = `http://wsus01.corp.test:${wsus.port}`;
  const via = await probeWsus(target, {
    proxy: { url: proxy.url, bypass: ['<local>', '*.other.test'] },
    lookup: dns.lookup,
  });
  t.is(via.class, 'ok');
  t.deepEqual(
    proxy.requests.map((r) => `${r.method} ${r.target}`),
    [`GET ${target}/selfupdate/wuident.cab`, `GET ${target}/ClientWebService/client.asmx`],
  );
  t.deepEqual(dns.asked, [], 'the proxy resolves the WSUS name, not the probe');
  t.regex(via.message ?? '', /via proxy 127\.0\.0\.1:/);

  const before = proxy.requests.length;
  const direct = await probeWsus(target, { proxy: { url: proxy.url, bypass: ['*.corp.test'] }, lookup: dns.lookup });
  t.is(direct.class, 'ok');
  t.is(proxy.requests.length, before, 'a bypassed host never reaches the proxy');
  t.deepEqual(dns.asked, ['wsus01.corp.test']);
});

test('https through the proxy uses CONNECT and times it as its own step', async (t) => {
  const wsus = await startWsusStandin('healthy', { tls: true });
  const proxy = await startProxyStandin();
  t.teardown(async () => {
    await proxy.close();
    await wsus.close();
  });
  const d = await probeWsus(wsus.url, { proxy: { url: proxy.url, bypass: [] }, ca: [TEST_TLS.cert] });
  t.is(d.class, 'ok', d.message ?? '');
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:ok', 'proxy:ok', 'tls:ok', 'http:ok', 'asmx:ok']);
  t.deepEqual(
    proxy.requests.map((r) => `${r.method} ${r.target}`),
    [`CONNECT 127.0.0.1:${wsus.port}`, `CONNECT 127.0.0.1:${wsus.port}`],
  );
});

test('a proxy that wants credentials: proxy_auth for http and https; credentials from the proxy URL work', async (t) => {
  const wsus = await startWsusStandin('healthy');
  const wsusTls = await startWsusStandin('healthy', { tls: true });
  const expected = 'Basic ' + Buffer.from('svc:s3cret').toString('base64');
  const proxy = await startProxyStandin({ requireAuth: expected });
  t.teardown(async () => {
    await proxy.close();
    await wsus.close();
    await wsusTls.close();
  });
  const cfg = { url: proxy.url, bypass: [] };
  t.like(await probeWsus(wsus.url, { proxy: cfg }), {
    class: 'proxy_auth',
    failedStep: 'http',
    httpStatus: 407,
    hresult: '0x80190197',
  });
  t.like(await probeWsus(wsusTls.url, { proxy: cfg, ca: [TEST_TLS.cert] }), {
    class: 'proxy_auth',
    failedStep: 'http',
    httpStatus: 407,
  });
  const withCreds = { url: `http://svc:s3cret@127.0.0.1:${proxy.port}`, bypass: [] };
  t.is((await probeWsus(wsus.url, { proxy: withCreds })).class, 'ok');
});

test('a proxy that cannot reach the server answers CONNECT with 502: http_status at the tcp step', async (t) => {
  const proxy = await startProxyStandin();
  t.teardown(() => proxy.close());
  const d = await probeWsus('https://wsus-gone.corp.test:8531', { proxy: { url: proxy.url, bypass: [] } });
  t.like(d, { class: 'http_status', failedStep: 'tcp', httpStatus: 502, hresult: '0x801901F6' });
  t.deepEqual(stepNames(d), ['dns:ok', 'tcp:ok', 'proxy:fail']);
});

test('an unreachable proxy is reported as the proxy', async (t) => {
  const gone = await startWsusStandin('refuse');
  const d = await probeWsus('http://wsus01.corp.test:8530', { proxy: { url: `127.0.0.1:${gone.port}`, bypass: [] } });
  t.like(d, { class: 'refused', failedStep: 'tcp' });
  t.regex(d.message ?? '', /^proxy 127\.0\.0\.1:\d+: /);
});

test('the stand-in switches modes at run time (down, then back)', async (t) => {
  const wsus = await startWsusStandin('healthy');
  t.teardown(() => wsus.close());
  t.is((await probeWsus(wsus.url)).class, 'ok');
  await wsus.setMode('503');
  t.is((await probeWsus(wsus.url)).httpStatus, 503);
  await wsus.setMode('refuse');
  t.is((await probeWsus(wsus.url)).class, 'refused');
  await wsus.setMode('healthy');
  t.is((await probeWsus(wsus.url)).class, 'ok');
});

test('request text and URL parsing', (t) => {
  const parsed = parseWsusUrl('https://[::1]:8531/wsus/');
  t.true(parsed.ok);
  if (!parsed.ok) return;
  t.like(parsed.value, { hostname: '::1', port: 8531, hostHeader: '[::1]:8531', basePath: '/wsus' });
  const p80 = parseWsusUrl('http://wsus01.corp.test');
  t.true(p80.ok && p80.value.port === 80 && p80.value.hostHeader === 'wsus01.corp.test');
  if (!p80.ok) return;
  const direct = buildGet(p80.value, 'selfupdate/wuident.cab', { kind: 'direct' });
  t.true(direct.startsWith('GET /selfupdate/wuident.cab HTTP/1.1\r\nHost: wsus01.corp.test\r\n'));
  t.true(direct.endsWith('\r\n\r\n'));
  const proxied = buildGet(p80.value, 'selfupdate/wuident.cab', {
    kind: 'proxy',
    proxy: { host: 'p', port: 3128, authorization: 'Basic eA==', display: 'p:3128' },
  });
  t.true(proxied.startsWith('GET http://wsus01.corp.test/selfupdate/wuident.cab HTTP/1.1\r\n'));
  t.true(proxied.includes('\r\nProxy-Authorization: Basic eA==\r\n'));
});

test('TLS error codes map to the WinHTTP certificate HRESULTs', (t) => {
  const err = (code: string) => Object.assign(new Error(code), { code });
  t.is(tlsFailure(err('CERT_HAS_EXPIRED'), 'h').hresult, '0x80072F05');
  t.is(tlsFailure(err('ERR_TLS_CERT_ALTNAME_INVALID'), 'h').hresult, '0x80072F06');
  t.is(tlsFailure(err('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'h').hresult, '0x80072F0D');
  t.is(tlsFailure(err('CERT_REVOKED'), 'h').hresult, '0x80072F8A');
  t.is(tlsFailure(err('ECONNRESET'), 'h').hresult, '0x80072F8F');
  t.is(tlsFailure(new Error('alert handshake failure'), 'h').class, 'tls');
});

test('the WSUS probe trusts the system store plus wsusCaFile, and an untrusted chain says which trust it used', async (t) => {
  const wsus = await startWsusStandin('healthy', { tls: true });
  try {
    const untrusted = await probeWsus(wsus.url, { systemCa: false });
    t.like(untrusted, { ok: false, class: 'tls', hresult: '0x80072F0D' });
    t.regex(untrusted.message ?? '', /not issued by a CA the probe trusts \(Node's bundled roots\)/);
    t.regex(untrusted.message ?? '', /Trusted Root Certification Authorities store, or give its PEM as wsusCaFile/);
    const withSystem = await probeWsus(wsus.url);
    t.regex(withSystem.message ?? '', /this machine's certificate store/, 'the system store is used by default');
    const trusted = await probeWsus(wsus.url, { ca: [TEST_TLS.cert], caLabel: 'wsusCaFile C:\\ca.pem' });
    t.true(trusted.ok, trusted.message ?? '');
  } finally {
    await wsus.close();
  }
});
