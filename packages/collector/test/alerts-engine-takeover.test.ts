// Two collectors on one database, and the one delivering a notification is SIGKILLed while the receiver holds the
// request: the other collector sends it once more when the lease runs out, with the same X-Wuwatch-Delivery id. Not
// lost, and at most one repeat, which a receiver deduplicating on that id (as docs/alerts.md asks) sees once. Each
// collector has its own URL for the one channel, so the receiver can tell which collector sent what.
import test from 'ava';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reapOnExit, spawnCollector, type ChildCollector } from './helpers/child-collector.js';
import { createEmptyTestDatabase } from './helpers/db.js';
import { detectionEvent } from './helpers/events.js';
import { connectAgent, eventClock, sleep, waitFor } from './helpers/alerts.js';
import pg from 'pg';

interface Request {
  path: string;
  headers: IncomingHttpHeaders;
  body: { kind: string; sentAt: string | null; alert: { subject: string } };
}

test('the collector sending a notification is killed mid-request: the other sends it again once, same delivery id', async (t) => {
  t.timeout(60_000);
  // A receiver that records every request and answers none until released.
  const requests: Request[] = [];
  const held: ServerResponse[] = [];
  let holding = true;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request['body'];
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      if (holding) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const database = await createEmptyTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const adminToken = 'admin-alerts-takeover-0123456789abcdef';
  const env = {
    DATABASE_URL: database.url,
    WUWATCH_ADMIN_TOKEN: adminToken,
    WUWATCH_LOG_LEVEL: 'warn',
    WUWATCH_HOST: '127.0.0.1',
    WUWATCH_PORT: '0',
  };
  const spawnAs = async (name: string) =>
    reapOnExit(
      await spawnCollector(env, {
        alerts: {
          debounceMs: 50,
          channels: [{ type: 'webhook', name: 'ops', url: `${sinkUrl}/${name}`, timeoutMs: 30_000 }],
          delivery: { pollMs: 100, leaseMs: 2000, retryBaseMs: 100, retryMaxMs: 400 },
        },
      }),
    );
  const children: ChildCollector[] = [];
  const agents: { agent: { close(): void } }[] = [];
  t.teardown(async () => {
    for (const m of agents) m.agent.close();
    await Promise.all(children.map((c) => c.stop()));
    for (const r of held) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end();
    await database.drop();
  });
  // One after the other: the first applies the migrations.
  children.push(await spawnAs('a'));
  children.push(await spawnAs('b'));
  const [a, b] = children as [ChildCollector, ChildCollector];

  const m = await connectAgent({ url: a.url, adminToken }, a.wsUrl, 'srv-takeover');
  agents.push(m);
  const clock = eventClock();
  await m.send([1, 2, 3].map(() => (seq: number) => detectionEvent(seq, clock(), 'failed')));

  await waitFor(() => requests.length === 1, 'the first delivery attempt, held by the receiver', 20_000);
  const first = requests[0]!;
  const sender = first.path === '/a' ? a : b;
  const survivor = sender === a ? b : a;
  await sender.kill();
  holding = false;

  await waitFor(() => requests.length >= 2, 'the delivery by the other collector', 20_000);
  // Room for a third copy, should anything send one: polls every 100 ms, the lease is 2 s.
  await sleep(3000);
  t.is(requests.length, 2, 'sent once more, not again and again');
  const second = requests[1]!;
  t.is(second.path, sender === a ? '/b' : '/a', 'by the surviving collector');
  t.truthy(first.headers['x-wuwatch-delivery']);
  t.is(second.headers['x-wuwatch-delivery'], first.headers['x-wuwatch-delivery'], 'the same delivery id');
  // The same notification; only the time of sending differs.
  t.deepEqual({ ...second.body, sentAt: null }, { ...first.body, sentAt: null }, 'the same notification');
  t.like(first.body, { kind: 'firing', alert: { subject: `machine:${m.machineId}` } });
  const { rows } = await pool.query<{ state: string; attempts: number }>(
    'SELECT state, attempts FROM alert_notifications',
  );
  // The killed collector never recorded its attempt: the survivor's is the one counted.
  t.deepEqual(rows, [{ state: 'delivered', attempts: 1 }]);
  t.is(survivor.proc.exitCode, null, 'the survivor runs on');
});
