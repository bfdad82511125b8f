// Enrollment over node:http/https (Node's fetch cannot connect under Wine): the private CA is honoured, failures of
// an unreachable or failing collector are retried with backoff, a rejected secret is final.
import test from 'ava';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWuwatchError } from '@wuwatch/core';
import { ensureEnrolled, enrollWithRetry } from '../src/enroll/enroll.js';
import { TEST_TLS } from './helpers/wsus-standin.js';

const CERT_FILE = fileURLToPath(new URL('../../simulator/tls/cert.pem', import.meta.url));

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(server: ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const answer: Handler = (req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const { secret, hostname } = JSON.parse(body) as { secret: string; hostname: string };
    if (secret !== 'wwe_good') {
      res.writeHead(401).end('{"code":"WUW_ENROLL_SECRET_INVALID"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ agentId: `agt_${hostname}`, token: 'wwa_t' }));
  });
};

test('https with the private CA from caFile enrolls; without it the certificate error says so', async (t) => {
  const server = createHttpsServer({ key: TEST_TLS.key, cert: TEST_TLS.cert }, answer);
  const port = await listen(server);
  const stateDir = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
  try {
    const url = `https://127.0.0.1:${port}`;
    const err = await t.throwsAsync(
      ensureEnrolled({ collectorUrl: url, enrollSecret: 'wwe_good', stateDir, hostname: 'srv' }),
    );
    t.true(isWuwatchError(err, 'ENROLL_FAILED'));
    t.regex(err.message, /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|certificate/i);
    const c = await ensureEnrolled({
      collectorUrl: url,
      enrollSecret: 'wwe_good',
      stateDir,
      hostname: 'srv',
      caFile: CERT_FILE,
    });
    t.deepEqual(c, { agentId: 'agt_srv', token: 'wwa_t', collectorUrl: url });
    t.like(JSON.parse(await readFile(join(stateDir, 'credentials.json'), 'utf8')), { token: 'wwa_t' });
  } finally {
    server.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('a failing collector is retried with backoff until it answers; a rejected secret is final', async (t) => {
  let calls = 0;
  const server = createHttpServer((req, res) => {
    calls++;
    if (calls <= 2) return void res.writeHead(503).end();
    answer(req, res);
  });
  const port = await listen(server);
  const stateDir = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
  try {
    const retries: number[] = [];
    const c = await enrollWithRetry(
      { collectorUrl: `http://127.0.0.1:${port}`, enrollSecret: 'wwe_good', stateDir, hostname: 'srv' },
      { baseMs: 50, capMs: 200, onRetry: (_e, ms) => retries.push(ms) },
    );
    t.is(c.agentId, 'agt_srv');
    t.is(retries.length, 2);
    t.true(
      retries.every((ms) => ms >= 50 && ms <= 500),
      retries.join(','),
    );

    const bad = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
    const before = calls;
    const err = await t.throwsAsync(
      enrollWithRetry(
        { collectorUrl: `http://127.0.0.1:${port}`, enrollSecret: 'wwe_wrong', stateDir: bad, hostname: 'srv' },
        { baseMs: 50, capMs: 200 },
      ),
    );
    t.true(isWuwatchError(err, 'ENROLL_SECRET_INVALID'));
    t.is(calls - before, 1, 'asked once');
    await rm(bad, { recursive: true, force: true });
  } finally {
    server.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('an unreachable collector is retried until the stop signal, then the last error is thrown', async (t) => {
  const server = createHttpServer();
  const port = await listen(server);
  server.close(); // nothing listens there any more
  const stateDir = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
  try {
    const stop = new AbortController();
    let tries = 0;
    const err = await t.throwsAsync(
      enrollWithRetry(
        { collectorUrl: `http://127.0.0.1:${port}`, enrollSecret: 'wwe_good', stateDir, hostname: 'srv' },
        {
          baseMs: 20,
          capMs: 50,
          signal: stop.signal,
          onRetry: () => {
            if (++tries === 3) stop.abort();
          },
        },
      ),
    );
    t.true(isWuwatchError(err, 'ENROLL_FAILED'));
    t.regex(err.message, /ECONNREFUSED/);
    t.is(tries, 3);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('several collectors: the first that answers enrolls, one that is down or failing is skipped, a rejected secret ends the round', async (t) => {
  const down = createHttpServer();
  const downUrl = `http://127.0.0.1:${await listen(down)}`;
  down.close(); // nothing listens there any more
  let failingCalls = 0;
  const failing = createHttpServer((_req, res) => {
    failingCalls++;
    res.writeHead(503).end();
  });
  const failingUrl = `http://127.0.0.1:${await listen(failing)}`;
  let goodCalls = 0;
  const good = createHttpServer((req, res) => {
    goodCalls++;
    answer(req, res);
  });
  const goodUrl = `http://127.0.0.1:${await listen(good)}`;
  const stateDir = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
  const other = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
  t.teardown(async () => {
    failing.close();
    good.close();
    await rm(stateDir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  });

  // One string with commas, as the MSI property or --collector give it.
  const list = `${downUrl}, ${failingUrl} ,${goodUrl}`;
  const c = await ensureEnrolled({ collectorUrl: list, enrollSecret: 'wwe_good', stateDir, hostname: 'srv' });
  t.deepEqual(c, { agentId: 'agt_srv', token: 'wwa_t', collectorUrl: goodUrl }, 'stored with the one that answered');
  t.is(failingCalls, 1);
  t.is(goodCalls, 1);
  t.deepEqual(JSON.parse(await readFile(join(stateDir, 'credentials.json'), 'utf8')), c);

  // Enrolled with one of the listed collectors (same database, same token): not again, whatever the order.
  const again = await ensureEnrolled({
    collectorUrl: [goodUrl, failingUrl],
    enrollSecret: 'wwe_good',
    stateDir,
    hostname: 'srv',
  });
  t.deepEqual(again, c);
  t.is(goodCalls, 1, 'no second enrollment');

  // Every collector failing: one error naming each.
  const err = await t.throwsAsync(
    ensureEnrolled({ collectorUrl: [downUrl, failingUrl], enrollSecret: 'wwe_good', stateDir: other, hostname: 'b' }),
  );
  t.true(isWuwatchError(err, 'ENROLL_FAILED'));
  t.true(err.message.includes(`cannot reach ${downUrl}/v1/enroll (ECONNREFUSED)`), err.message);
  t.true(err.message.includes(`${failingUrl}/v1/enroll answered HTTP 503`), err.message);

  // A rejected secret is the database's answer, so no other collector is asked.
  const before = failingCalls;
  const rejected = await t.throwsAsync(
    ensureEnrolled({ collectorUrl: [goodUrl, failingUrl], enrollSecret: 'wwe_wrong', stateDir: other, hostname: 'b' }),
  );
  t.true(isWuwatchError(rejected, 'ENROLL_SECRET_INVALID'));
  t.is(failingCalls, before, 'the next collector was not asked');
});

test('an agent enrolled with a collector does not enroll again when the URL is only spelled differently', async (t) => {
  // Re-enrolling makes a new agent and a second machine for the same host: a trailing slash, the host's case, a
  // default port or ws:// for http:// name the same collector.
  let calls = 0;
  const good = createHttpServer((req, res) => {
    calls++;
    answer(req, res);
  });
  const port = await listen(good);
  const stateDir = await mkdtemp(join(tmpdir(), 'wuwatch-enroll-'));
  t.teardown(async () => {
    good.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  const url = `http://localhost:${port}`;
  const c = await ensureEnrolled({ collectorUrl: url, enrollSecret: 'wwe_good', stateDir, hostname: 'srv' });
  for (const spelling of [`${url}/`, `HTTP://LOCALHOST:${port}`, `ws://localhost:${port}/`]) {
    const again = await ensureEnrolled({ collectorUrl: spelling, enrollSecret: 'wwe_good', stateDir, hostname: 'srv' });
    t.deepEqual(again, c, spelling);
  }
  t.is(calls, 1, 'enrolled once');
});
