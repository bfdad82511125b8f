// The WSUS stand-ins behave like the servers they stand for, on 127.0.0.1.
import test from 'ava';
import { request } from 'node:http';
import { startWsusStandin, type WsusStandin } from '../src/wsus/standins.js';

type Answer = { status: number; body: string; server: string | undefined } | { error: string };

function get(url: string, timeoutMs = 2000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, server: res.headers.server as string | undefined }),
      );
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

async function withStandin(mode: Parameters<typeof startWsusStandin>[0], fn: (s: WsusStandin) => Promise<void>) {
  const s = await startWsusStandin(mode);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

test('healthy serves wuident.cab (a cabinet) and the client web service, and 404 elsewhere', async (t) => {
  await withStandin('healthy', async (s) => {
    t.regex(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const cab = await get(`${s.url}/selfupdate/wuident.cab`);
    t.like(cab, { status: 200, server: 'Microsoft-IIS/10.0' });
    t.true('body' in cab && cab.body.startsWith('MSCF'));
    t.like(await get(`${s.url}/ClientWebService/client.asmx`), { status: 200 });
    t.like(await get(`${s.url}/nothing-here`), { status: 404 });
    t.deepEqual(
      s.requests.map((r) => r.url),
      ['/selfupdate/wuident.cab', '/ClientWebService/client.asmx', '/nothing-here'],
    );
  });
});

test('503 answers every URL like http.sys for a stopped app pool', async (t) => {
  await withStandin('503', async (s) => {
    const a = await get(`${s.url}/selfupdate/wuident.cab`);
    t.like(a, { status: 503, server: 'Microsoft-HTTPAPI/2.0' });
    t.true('body' in a && a.body.includes('HTTP Error 503. The service is unavailable.'));
    t.like(await get(`${s.url}/ClientWebService/client.asmx`), { status: 503 });
  });
});

test('404 and 500 answer, but never with the WSUS files', async (t) => {
  await withStandin('404', async (s) => {
    t.like(await get(`${s.url}/selfupdate/wuident.cab`), { status: 404 });
  });
  await withStandin('500', async (s) => {
    t.like(await get(`${s.url}/selfupdate/wuident.cab`), { status: 500 });
    t.like(await get(`${s.url}/ClientWebService/client.asmx`), { status: 500 });
  });
});

test('refuse is a closed port', async (t) => {
  await withStandin('refuse', async (s) => {
    t.deepEqual(await get(`${s.url}/selfupdate/wuident.cab`), { error: 'ECONNREFUSED' });
  });
});

test('hang accepts the request and never answers (past any probe timeout)', async (t) => {
  await withStandin('hang', async (s) => {
    const started = Date.now();
    t.deepEqual(await get(`${s.url}/selfupdate/wuident.cab`, 700), { error: 'TIMEOUT' });
    t.true(Date.now() - started >= 650);
    t.is(s.requests.length, 1, 'the request did arrive');
  });
});

test('a stand-in changes behaviour at run time: the server dies and comes back on the same port', async (t) => {
  await withStandin('healthy', async (s) => {
    await s.setMode('refuse');
    t.deepEqual(await get(`${s.url}/selfupdate/wuident.cab`), { error: 'ECONNREFUSED' });
    await s.setMode('503');
    t.like(await get(`${s.url}/selfupdate/wuident.cab`), { status: 503 });
    t.is(s.mode, '503');
  });
});
