// Issue 14, finding 2: idle sockets from a few hosts used to pile up without bound (about 20,000 exhausted the file
// descriptors and took /healthz and every agent down). Bounded here: 3,000 idle sockets from 20 loopback
// addresses against caps of 600 connections and 100 unauthenticated per address.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import test from 'ava';
import {
  startTestCollector,
  enrollAgent,
  TestAgent,
  detectionEvents,
  type TestCollector,
} from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector({
    limits: {
      maxConnections: 600,
      maxUnauthenticatedPerAddress: 100,
      headersTimeoutSeconds: 3,
      requestTimeoutSeconds: 10,
    },
  });
});
test.after.always(async () => {
  await tc?.close();
});

const port = () => Number(new URL(tc.url).port);

/** Opens a TCP connection from `localAddress`; resolves once connected or refused (the socket is kept). */
function idleSocket(localAddress: string, sockets: Socket[]): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: port(), localAddress });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('connect', () => resolve());
    sockets.push(s);
  });
}

async function healthz(): Promise<number> {
  const res = await fetch(tc.url + '/healthz', { signal: AbortSignal.timeout(3000) });
  await res.text();
  return res.status;
}

test.serial(
  '3,000 idle sockets hold the caps while an agent delivers and /healthz answers; idle ones time out',
  async (t) => {
    t.timeout(60_000);
    const { agentId, token } = await enrollAgent(tc, 'srv-under-siege');
    const agent = await TestAgent.connect(tc.wsUrl, token);
    await agent.hello(agentId, 'srv-under-siege');
    t.is(await agent.batch(1, detectionEvents(1, 2)), 2);

    const sockets: Socket[] = [];
    t.teardown(() => sockets.forEach((s) => s.destroy()));
    const started = Date.now();
    for (let host = 2; host <= 21; host++) {
      await Promise.all(Array.from({ length: 150 }, () => idleSocket(`127.0.0.${host}`, sockets)));
    }
    const g = tc.collector.guard;
    t.log(
      `3000 attempts in ${Date.now() - started} ms: ${g.size} open, evicted per address ${g.stats.evictedPerAddress},` +
        ` evicted ${g.stats.evicted}`,
    );
    t.true(g.size <= 600, `${g.size} connections open (cap 600)`);
    t.true(g.stats.evictedPerAddress >= 500, 'each address is held to 100 unauthenticated connections');
    t.true(g.stats.evicted > 0, 'the global cap was reached and idle connections made room');
    const scrape = await (
      await fetch(tc.url + '/metrics', { headers: { authorization: `Bearer ${tc.adminToken}` } })
    ).text();
    t.regex(scrape, /wuwatch_connections_dropped_total\{reason="per_address"\} [1-9]/);
    t.regex(scrape, /wuwatch_connections_dropped_total\{reason="evicted"\} [1-9]/);

    // While the caps are hit: health checks, the connected agent, and a new agent all get through.
    for (let i = 0; i < 5; i++) t.is(await healthz(), 200);
    t.is(await agent.batch(2, detectionEvents(3, 4)), 4);
    const second = await enrollAgent(tc, 'srv-newcomer');
    const newcomer = await TestAgent.connect(tc.wsUrl, second.token);
    t.is(await newcomer.hello(second.agentId, 'srv-newcomer'), 0);
    t.is(await newcomer.batch(1, detectionEvents(1, 1)), 1);

    // An idle connection that sends no request head is closed after headersTimeoutSeconds (3 s); agents stay.
    await new Promise((r) => setTimeout(r, 4500));
    t.is(g.unauthenticated, 0, 'every idle unauthenticated connection timed out');
    t.true(g.stats.timedOut > 0);
    t.is(await agent.batch(3, detectionEvents(5, 5)), 5);
    t.is(await healthz(), 200);
    agent.close();
    newcomer.close();
  },
);

/** GET /healthz from `localAddress` (fetch cannot choose the source address): the status, or the error's code. */
function healthzFrom(localAddress: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${tc.url}/healthz`, { localAddress, agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

test.serial('a health probe from an address that holds its cap of idle sockets gets through', async (t) => {
  t.timeout(30_000);
  // A load balancer behind the same address (a NAT, the balancer itself) as a flood of idle sockets: the probe's
  // connection cannot show what it is before its request head, and used to be refused at the per-address cap.
  const address = '127.0.0.42';
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await Promise.all(Array.from({ length: 100 }, () => idleSocket(address, sockets)));
  await new Promise((r) => setTimeout(r, 100));
  const g = tc.collector.guard;
  const before = g.stats.evictedPerAddress;
  t.is(sockets.filter((s) => !s.destroyed).length, 100, 'the address holds its cap of 100 idle connections');
  for (let i = 0; i < 5; i++) t.is(await healthzFrom(address), 200);
  t.true(g.stats.evictedPerAddress > before, 'the oldest idle connections made room');
  await new Promise((r) => setTimeout(r, 100));
  t.true(sockets.filter((s) => !s.destroyed).length <= 100, 'the address still holds no more than its cap');
  t.true(g.unauthenticated <= 100);
});

test.serial('a slowloris request head (a byte at a time) is cut off by the headers timeout', async (t) => {
  t.timeout(20_000);
  const s = connect({ host: '127.0.0.1', port: port() });
  t.teardown(() => s.destroy());
  await new Promise((r) => s.once('connect', r));
  const closed = new Promise<number>((r) => s.once('close', () => r(Date.now())));
  const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(100);
  const started = Date.now();
  let i = 0;
  const drip = setInterval(() => {
    if (!s.destroyed) s.write(head[i++ % head.length]!);
  }, 200);
  t.teardown(() => clearInterval(drip));
  const at = await closed;
  t.true(at - started < 6000, `closed after ${at - started} ms`);
  t.true(at - started >= 2500);
});
