import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { decodeAgentFrame, encodeFrame, EventKind, PROTOCOL_VERSION } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { readSetAside, Spool, type SpoolInput } from '../src/spool/index.js';
import { CollectorClient, rawBatchFrame, type ClientOptions, type OutboundQueue } from '../src/transport/client.js';

const wireEvent: fc.Arbitrary<WireEvent> = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.constant('2024-05-01T10:00:00.000Z'),
  kind: fc.constantFrom(...EventKind.options),
  data: fc.dictionary(fc.string(), fc.jsonValue()),
});

test('rawBatchFrame is byte for byte the frame encodeFrame makes of the same events', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.nat(), fc.array(wireEvent, { minLength: 1, maxLength: 12 }), (batchId, events) => {
        // What the spool stores is JSON.stringify of the event; what peek gives back is that, parsed.
        const stored = events.map((e) => JSON.parse(JSON.stringify(e)) as WireEvent);
        const raw = rawBatchFrame(
          batchId,
          stored.map((e) => ({ json: Buffer.from(JSON.stringify(e)) })),
        );
        return raw.toString('utf8') === encodeFrame({ type: 'batch', batchId, events: stored });
      }),
    ),
  );
  const frame = rawBatchFrame(7, [
    { json: Buffer.from('{"seq":1,"time":"2024-05-01T10:00:00Z","kind":"wua","data":{}}') },
  ]);
  t.like(decodeAgentFrame(frame), { type: 'batch', batchId: 7, events: [{ seq: 1, kind: 'wua' }] });
});

// Against a real WebSocket server on 127.0.0.1 standing in for the collector: it stores what it is sent, except a
// batch holding an event it refuses, which it answers, as the collector does, by closing the connection with 1011.
interface StandIn {
  url: string;
  stored: Map<number, WireEvent>;
  welcomes: number;
  refusals: number;
  /** Refuse every batch (the database is down, not one event). */
  refuseAll: boolean;
  close(): Promise<void>;
}

// `port` brings a stand-in back where it was; `stored` shared by two stand-ins is one database behind two collectors.
// `dieAfterStoring`: the first batch is stored but not acknowledged, and when the second arrives the connection is cut
// (a collector killed right after a commit, with the next batch in flight). Like the collector, a stand-in stores only events past the highest seq it has (its watermark).
async function collectorStandIn(
  isPoison: (e: WireEvent) => boolean,
  opts: { port?: number; stored?: Map<number, WireEvent>; dieAfterStoring?: boolean } = {},
): Promise<StandIn> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: opts.port ?? 0, path: '/v1/agent' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const { port } = wss.address() as AddressInfo;
  const s: StandIn = {
    url: `http://127.0.0.1:${port}`,
    stored: opts.stored ?? new Map(),
    welcomes: 0,
    refusals: 0,
    refuseAll: false,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
  const storedUpTo = () => Math.max(0, ...s.stored.keys());
  let dead = false;
  wss.on('connection', (ws) => {
    ws.on('message', (raw: Buffer) => {
      if (dead) return;
      const frame = JSON.parse(raw.toString('utf8')) as { type: string; batchId?: number; events?: WireEvent[] };
      if (frame.type === 'hello') {
        s.welcomes++;
        ws.send(encodeFrame({ type: 'welcome', protocol: PROTOCOL_VERSION, ackedSeq: storedUpTo() }));
      } else if (frame.type === 'batch') {
        const events = frame.events ?? [];
        if (s.refuseAll || events.some(isPoison)) {
          s.refusals++;
          ws.close(1011, 'batch not stored');
          return;
        }
        if (opts.dieAfterStoring && s.stored.size > 0) {
          dead = true;
          ws.terminate();
          return;
        }
        const watermark = storedUpTo();
        for (const e of events) if (e.seq > watermark) s.stored.set(e.seq, e);
        if (opts.dieAfterStoring) return;
        ws.send(encodeFrame({ type: 'ack', batchId: frame.batchId ?? 0, upTo: Math.max(...events.map((e) => e.seq)) }));
      }
    });
  });
  return s;
}

/** A pino logger that keeps its lines. */
function captured() {
  const lines: {
    msg: string;
    retryInMs?: number;
    seq?: number;
    file?: string;
    collector?: string;
    previousCollector?: string;
    failure?: string;
    level: number;
  }[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  );
  return { lines, log };
}

function client(queue: OutboundQueue, url: string | string[], log: pino.Logger, extra: Partial<ClientOptions> = {}) {
  return new CollectorClient(queue, {
    urls: typeof url === 'string' ? [url] : url,
    token: 't',
    agentId: 'a',
    hostname: 'srv-poison',
    osVersion: 'test',
    agentVersion: '0.1.0',
    mode: 'event',
    batchMaxEvents: 5,
    batchMaxBytes: 64 * 1024,
    maxInFlight: 2,
    heartbeatMs: 60_000,
    reconnectBaseMs: 4,
    reconnectCapMs: 40,
    maxRefusals: 3,
    log,
    ...extra,
  });
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settings = (n: number, poisonAt: number): SpoolInput[] =>
  Array.from({ length: n }, (_, i) => ({
    time: '2026-11-20T00:00:00.000Z',
    kind: 'settings' as const,
    data: { i: i + 1, poison: i + 1 === poisonAt },
  }));

/**
 * Two stand-ins behind one store, as two collectors share one database, and a spool in a temporary directory, all
 * closed when the test ends. `listenA` brings A back on its port (a restart) and returns it; that one is closed too.
 */
async function collectorPair(t: ExecutionContext, prefix: string, aOptions: { dieAfterStoring?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const stored = new Map<number, WireEvent>();
  const first = await collectorStandIn(() => false, { stored, ...aOptions });
  const b = await collectorStandIn(() => false, { stored });
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  const port = Number(new URL(first.url).port);
  const pair = {
    a: first,
    b,
    stored,
    spool,
    listenA: async (): Promise<StandIn> => (pair.a = await collectorStandIn(() => false, { port, stored })),
  };
  t.teardown(() => Promise.all([pair.a.close(), b.close(), spool.close()]).then(() => undefined));
  return pair;
}

test('an event the collector refuses again and again is set aside in the spool, once, and delivery goes on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-poison-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server = await collectorStandIn((e) => e.data.poison === true);
  t.teardown(() => server.close());
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  await spool.append(settings(20, 7));
  const { lines, log } = captured();
  const c = client(spool, server.url, log);
  c.start();
  await until(() => spool.ackedSeq === 20 && server.stored.size === 19, 'every other event delivered');
  await c.stop();
  t.deepEqual(
    [...server.stored.keys()].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
  );
  // The batch holding it was refused once whole, then the event on its own three times.
  t.is(server.refusals, 4);
  const setAside = await readSetAside(join(dir, 'spool'));
  t.is(setAside.length, 1);
  t.like(setAside[0], { event: { seq: 7, data: { i: 7, poison: true } } });
  t.regex(setAside[0]!.reason, /refused it 3 times \(closed 1011 batch not stored\)/);
  const told = lines.filter((l) => l.msg.startsWith('event set aside'));
  t.is(told.length, 1, 'one local log line');
  t.like(told[0], { seq: 7 });
  // It stays set aside: a new agent on the same spool does not send it again.
  const more = await collectorStandIn(() => false);
  t.teardown(() => more.close());
  await spool.append(settings(1, 0));
  const again = client(spool, more.url, log);
  again.start();
  await until(() => spool.ackedSeq === 21, 'the next event');
  await again.stop();
  t.deepEqual([...more.stored.keys()], [21]);
  await spool.close();
});

test('a collector refusing every batch: the reconnect backoff grows across welcomes and starts over after an ack', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-backoff-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server = await collectorStandIn(() => false);
  t.teardown(() => server.close());
  server.refuseAll = true;
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  await spool.append(settings(3, 0));
  const { lines, log } = captured();
  // The top of each jitter range: the delays are the ceilings 10, 20, 40, 80, …
  const c = client(spool, server.url, log, {
    reconnectBaseMs: 10,
    reconnectCapMs: 1000,
    maxRefusals: 100,
    random: () => 0.9999,
  });
  c.start();
  const retries = () => lines.filter((l) => l.retryInMs !== undefined).map((l) => l.retryInMs!);
  await until(() => retries().length >= 5, 'five refused connections');
  server.refuseAll = false;
  await until(() => spool.ackedSeq === 3, 'delivery once the collector stores again');
  const welcomed = server.welcomes;
  t.true(welcomed >= 5, 'every refused connection had been welcomed');
  t.deepEqual(retries().slice(0, 5), [9, 19, 39, 79, 159], 'a welcome did not reset the backoff');
  // Acknowledged, then refused again: the next disconnect waits the base again.
  const n = retries().length;
  server.refuseAll = true;
  await spool.append(settings(1, 0));
  c.notify();
  await until(() => retries().length > n, 'a refusal after the ack');
  t.is(retries()[n], 9, 'the backoff started over after the ack');
  await c.stop();
  await spool.close();
});

test('a collector that is down is logged once, not once per reconnect attempt', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-down-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // A port that was just free: nothing listens there any more.
  const gone = await collectorStandIn(() => false);
  await gone.close();
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  await spool.append(settings(3, 0));
  const { lines, log } = captured();
  const c = client(spool, gone.url, log);
  c.start();
  await until(() => c.lastError !== null, 'a first failure');
  await new Promise((r) => setTimeout(r, 600)); // reconnects every 40 ms at most: well over ten attempts
  await c.stop();
  await spool.close();
  // One line per distinct failure: a parallel test may take the freed port meanwhile, and a collector that now answers
  // something else is a new failure worth a line; the same failure again never is.
  const failures = lines.filter((l) => l.msg === 'collector connection error').map((l) => l.failure);
  t.true(failures.length >= 1, 'the outage is logged');
  t.true(
    failures.every((f, i) => i === 0 || f !== failures[i - 1]),
    `one line per distinct failure, not per attempt: ${failures.join(' | ')}`,
  );
  t.true(failures.length <= 3, `a handful of lines at most, not one per attempt: ${failures.length}`);
  t.is(lines.filter((l) => l.msg.startsWith('disconnected from collector')).length, 0, 'failed attempts are debug');
});

test('two collectors: the client stays on the one that works and moves to the next when it goes away', async (t) => {
  // One database behind both: what one stored, the other knows (its welcome says so).
  const pair = await collectorPair(t, 'wuwatch-failover-');
  const { b, stored, spool } = pair;
  let a = pair.a;
  await spool.append(settings(5, 0));
  const { lines, log } = captured();
  const c = client(spool, [a.url, b.url], log);
  t.teardown(() => c.stop());
  c.start();
  await until(() => spool.ackedSeq === 5, 'the first events');
  t.is(c.collectorUrl, a.url, 'the first in the list');
  t.deepEqual([a.welcomes, b.welcomes], [1, 0]);

  // A goes away (every connection cut, nothing listening): the client moves to B and delivers the rest there.
  await a.close();
  await spool.append(settings(5, 0));
  c.notify();
  await until(() => spool.ackedSeq === 10, 'the events after the failover');
  t.is(c.collectorUrl, b.url);
  t.is(b.welcomes, 1);
  t.deepEqual(
    [...stored.keys()].sort((x, y) => x - y),
    Array.from({ length: 10 }, (_, i) => i + 1),
    'each event stored once',
  );
  const failovers = lines.filter((l) => l.msg === 'connected to another collector (failover)');
  t.is(failovers.length, 1, 'the change is logged once');
  t.like(failovers[0], { collector: b.url, previousCollector: a.url });

  // A comes back: B still works, so the client stays there.
  a = await pair.listenA();
  await spool.append(settings(3, 0));
  c.notify();
  await until(() => spool.ackedSeq === 13, 'more events');
  await new Promise((r) => setTimeout(r, 200));
  t.is(a.welcomes, 0, 'no connection to A while B works');

  // B goes away: round the list, back to A.
  await b.close();
  await spool.append(settings(2, 0));
  c.notify();
  await until(() => spool.ackedSeq === 15, 'the events after the second failover');
  t.is(c.collectorUrl, a.url);
  t.is(a.welcomes, 1);
  t.is(stored.size, 15);
  t.is(lines.filter((l) => l.msg === 'connected to another collector (failover)').length, 2);
});

test('two collectors down: each is logged once for the whole outage, naming it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-down2-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const gone = [await collectorStandIn(() => false), await collectorStandIn(() => false)];
  for (const g of gone) await g.close();
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  await spool.append(settings(3, 0));
  const { lines, log } = captured();
  const c = client(
    spool,
    gone.map((g) => g.url),
    log,
  );
  c.start();
  await new Promise((r) => setTimeout(r, 600)); // reconnects every 40 ms at most: many attempts at each
  await c.stop();
  await spool.close();
  const errors = lines.filter((l) => l.msg === 'collector connection error');
  t.deepEqual(
    errors.slice(0, 2).map((l) => l.collector),
    gone.map((g) => g.url),
    'each named, in the order tried',
  );
  // Another line for a collector only when its failure changed (a port freed here may be taken by another test).
  for (const g of gone) {
    const keys = errors.filter((l) => l.collector === g.url).map((l) => l.failure);
    t.true(
      keys.every((k, i) => i === 0 || k !== keys[i - 1]),
      `${g.url}: ${keys.join(' | ')}`,
    );
  }
  const attempts = lines.filter((l) => l.msg.startsWith('disconnected from collector'));
  t.is(attempts.length, 0, 'the attempts themselves are debug');
});

test('a client needs at least one collector URL', (t) => {
  t.throws(() => new CollectorClient({} as Spool, { urls: [] } as unknown as ClientOptions), {
    message: /at least one collector URL/,
  });
});

test('after a failover the client resumes where the collector is, not where the lost connection was', async (t) => {
  // A stores the first batch, never acknowledges it, and dies when the second arrives: that one is lost in flight.
  const { a, b, stored, spool } = await collectorPair(t, 'wuwatch-resume-', { dieAfterStoring: true });
  await spool.append(settings(10, 0));
  // New events arrive while the client catches up with B's welcome (it acknowledges in the spool what A stored):
  // the moment a pump with the lost connection's position would have sent 11.. and left 6..10 behind for good.
  let c: CollectorClient | null = null;
  let caughtUp = false;
  const queue = {
    get ackedSeq() {
      return spool.ackedSeq;
    },
    get lastSeq() {
      return spool.lastSeq;
    },
    peekRaw: spool.peekRaw.bind(spool),
    setAside: spool.setAside.bind(spool),
    async ack(upTo: number) {
      if (!caughtUp && b.welcomes === 1) {
        caughtUp = true;
        await spool.append(settings(5, 0));
        c!.notify();
        await new Promise((r) => setTimeout(r, 50));
      }
      await spool.ack(upTo);
    },
  };
  const { log } = captured();
  c = client(queue, [a.url, b.url], log);
  t.teardown(() => c.stop());
  c.start();
  await until(() => spool.ackedSeq === 15, 'every event acknowledged');
  t.true(caughtUp, 'the welcome of B had the client catch up');
  t.deepEqual(
    [...stored.keys()].sort((x, y) => x - y),
    Array.from({ length: 15 }, (_, i) => i + 1),
    'nothing skipped',
  );
});

test('one name with several addresses: an address that refuses is skipped within the same connection attempt', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-dns-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const server = await collectorStandIn(() => false);
  t.teardown(() => server.close());
  const { port } = new URL(server.url);
  // collectors.test has two addresses, as a DNS name with one record per collector: nothing listens on the first.
  const asked: string[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    asked.push(hostname);
    const all = [
      { address: '127.0.0.2', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    if (options.all) (callback as (e: null, a: typeof all) => void)(null, all);
    else callback(null, all[0]!.address, 4);
  };
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  t.teardown(() => spool.close());
  await spool.append(settings(4, 0));
  const { lines, log } = captured();
  const c = client(spool, `http://collectors.test:${port}`, log, { lookup });
  t.teardown(() => c.stop());
  c.start();
  await until(() => spool.ackedSeq === 4, 'delivery through the second address');
  t.deepEqual(asked, ['collectors.test']);
  t.is(server.welcomes, 1);
  t.is(lines.filter((l) => l.msg === 'collector connection error').length, 0, 'no failed attempt to log');
});

test('two collectors: after a long healthy session the client reconnects to the same one; a dead one hands it to the next', async (t) => {
  const pair = await collectorPair(t, 'wuwatch-failback-');
  const { b, stored, spool } = pair;
  let a = pair.a;
  await spool.append(settings(5, 0));
  const { lines, log } = captured();
  // A reconnect waits at least base/4 = 100 ms: time enough for A to listen again on its port.
  const c = client(spool, [a.url, b.url], log, { healthySessionMs: 150, reconnectBaseMs: 400, reconnectCapMs: 4000 });
  t.teardown(() => c.stop());
  c.start();
  await until(() => spool.ackedSeq === 5, 'the first events');
  await new Promise((r) => setTimeout(r, 300)); // a healthy session: longer than healthySessionMs

  // A restarts (every connection cut, then listening again on the same port): the agent comes back to A, not B.
  await a.close();
  a = await pair.listenA();
  await spool.append(settings(5, 0));
  c.notify();
  await until(() => spool.ackedSeq === 10, 'the events after the restart');
  t.is(c.collectorUrl, a.url);
  t.is(a.welcomes, 1, 'the restarted A welcomed the agent');
  t.is(b.welcomes, 0, 'B never saw it');
  t.is(lines.filter((l) => l.msg === 'connected to another collector (failover)').length, 0);
  const ended = lines.find((l) => l.msg.startsWith('disconnected from collector')) as
    { collector: string; next: string; sessionMs: number } | undefined;
  t.like(ended, { collector: a.url, next: a.url });
  t.true(ended!.sessionMs >= 150, `session of ${ended?.sessionMs} ms`);

  // Another healthy session, then A dies for good: the attempt on A fails and the next one goes to B.
  await new Promise((r) => setTimeout(r, 300));
  await a.close();
  await spool.append(settings(5, 0));
  c.notify();
  await until(() => spool.ackedSeq === 15, 'the events after the failover');
  t.is(c.collectorUrl, b.url);
  t.is(b.welcomes, 1);
  t.is(
    lines.filter((l) => l.msg === 'collector connection error' && l.collector === a.url).length,
    1,
    'the failed attempt on A, logged once',
  );
  const failovers = lines.filter((l) => l.msg === 'connected to another collector (failover)');
  t.is(failovers.length, 1);
  t.like(failovers[0], { collector: b.url, previousCollector: a.url });
  t.is(stored.size, 15, 'each event stored once');
});

test('two collectors: a session that ends soon after its welcome moves the client to the next one, even if the first is back', async (t) => {
  const pair = await collectorPair(t, 'wuwatch-short-');
  const { b, spool } = pair;
  let a = pair.a;
  await spool.append(settings(5, 0));
  const { lines, log } = captured();
  const c = client(spool, [a.url, b.url], log, {
    healthySessionMs: 10_000,
    reconnectBaseMs: 400,
    reconnectCapMs: 4000,
  });
  t.teardown(() => c.stop());
  c.start();
  await until(() => spool.ackedSeq === 5, 'the first events');
  // A restarts well within healthySessionMs of its welcome: a collector in a crash loop looks like this.
  await a.close();
  a = await pair.listenA();
  await spool.append(settings(5, 0));
  c.notify();
  await until(() => spool.ackedSeq === 10, 'the events after the failover');
  t.is(c.collectorUrl, b.url);
  t.deepEqual([a.welcomes, b.welcomes], [0, 1]);
  t.is(lines.filter((l) => l.msg === 'connected to another collector (failover)').length, 1);
});
