// The agent endpoint under load: many concurrent agents, a tiny write budget, and dead peers.
import test from 'ava';
import pg from 'pg';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@wuwatch/core';
import type { Semaphore } from '../src/transport/semaphore.js';
import { api, startTestCollector, TestAgent, type TestCollector } from './helpers/collector.js';
import { insertAgentsWithTokens } from './helpers/fleet.js';
import { bulkEvents, detectionEvent } from './helpers/events.js';
import { runAll, simAgentsFor, storedSeqsPerAgent } from './helpers/sim-agent.js';

/** Enrolls `n` agents through the API with one enrollment secret. */
async function enrollMany(tc: TestCollector, n: number, prefix: string): Promise<{ agentId: string; token: string }[]> {
  const secret = (await api<{ secret: string }>(tc, 'POST', '/v1/enroll-secrets', { comment: prefix })).body.secret;
  const out: { agentId: string; token: string }[] = [];
  for (let i = 0; i < n; i += 25) {
    const chunk = Array.from({ length: Math.min(25, n - i) }, async (_, j) => {
      const res = await fetch(tc.url + '/v1/enroll', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret, hostname: `${prefix}-${i + j}` }),
      });
      if (res.status !== 200) throw new Error(`enroll ${res.status}`);
      return (await res.json()) as { agentId: string; token: string };
    });
    out.push(...(await Promise.all(chunk)));
  }
  return out;
}

const BASE = Date.UTC(2026, 0, 1);
const filler = (seq: number) =>
  detectionEvent(seq, new Date(BASE + seq * 1000), seq % 7 === 0 ? 'succeeded' : 'failed');

function simAgents(
  tc: TestCollector,
  creds: { agentId: string; token: string }[],
  total: number,
  batchSize: number,
  maxInFlight: number,
) {
  return simAgentsFor(tc.wsUrl, creds, 'host-', { total, makeEvent: filler, batchSize, maxInFlight });
}

test('200 concurrent agents × 500 events: nothing lost, nothing doubled, every agent acknowledged up to 500', async (t) => {
  t.timeout(120_000);
  const tc = await startTestCollector();
  try {
    const creds = await enrollMany(tc, 200, 'load');
    const agents = simAgents(tc, creds, 500, 50, 2);
    await runAll(agents, 90_000);
    const rows = await storedSeqsPerAgent(tc.collector.db);
    t.is(rows.length, 200);
    const wrong = rows.filter((r) => r.n !== 500 || r.distinct_seq !== 500 || r.max_seq !== 500 || r.acked !== 500);
    t.deepEqual(wrong, [], 'every agent has exactly events 1..500 and last_acked_seq 500');
    const { rows: total } = await tc.collector.db.query<{ n: string }>('SELECT count(*) AS n FROM events');
    t.is(Number(total[0]!.n), 100_000);
    t.deepEqual(
      agents.flatMap((a) => a.stats.errors),
      [],
    );
    t.true(agents.every((a) => a.stats.errors.length === 0 && a.ackedSeq === 500));
    t.is(tc.collector.metrics.eventsIngested.get(), 100_000);
    await Promise.all(agents.map((a) => a.close()));
  } finally {
    await tc.close();
  }
});

test('backpressure: with maxConcurrentWrites 2 every batch still lands, never more than 2 transactions run at once, and they carry several batches', async (t) => {
  const tc = await startTestCollector({ agent: { maxConcurrentWrites: 2 } });
  try {
    const writer = tc.collector.endpoint.writer;
    const writes = (tc.collector.endpoint as unknown as { writes: Semaphore }).writes;
    const creds = await enrollMany(tc, 20, 'bp');
    const agents = simAgents(tc, creds, 200, 20, 4);
    await runAll(agents, 60_000);
    const rows = await storedSeqsPerAgent(tc.collector.db);
    t.true(rows.every((r) => r.n === 200 && r.acked === 200));
    t.is(writer.stats.maxRunning, 2);
    // 20 agents × (1 hello + 10 batches) in fewer transactions than items: the group commit at work.
    t.true(writer.stats.maxGroup > 1, `largest group ${writer.stats.maxGroup}`);
    t.true(writer.stats.transactions < writer.stats.items);
    t.true(writes.pressure === 0 && writer.queued === 0);
    await Promise.all(agents.map((a) => a.close()));
  } finally {
    await tc.close();
  }
});

test('backpressure: while the database is stalled, only maxConcurrentWrites × maxBatchesPerWrite batches are decoded; the rest stay unread', async (t) => {
  const tc = await startTestCollector({ agent: { maxConcurrentWrites: 2, maxBatchesPerWrite: 3 } });
  const blocker = new pg.Client({ connectionString: tc.databaseUrl });
  try {
    // Count batches that got past the socket into decoding and validation (the expensive, memory-hungry step).
    const endpoint = tc.collector.endpoint as unknown as { admit(b: unknown): unknown };
    const admit = endpoint.admit.bind(endpoint);
    let decoded = 0;
    endpoint.admit = (b) => {
      decoded++;
      return admit(b);
    };
    const creds = await insertAgentsWithTokens(tc.collector.db, 20, 'agt_stall_');
    const agents = await Promise.all(
      creds.map(async (c) => {
        const a = await TestAgent.connect(tc.wsUrl, c.token);
        await a.hello(c.agentId, c.agentId);
        return a;
      }),
    );
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    const acks = agents.map((a) => a.batch(1, bulkEvents(1, 500)));
    await new Promise((r) => setTimeout(r, 800));
    t.true(decoded <= 6, `${decoded} batches decoded while the database was stalled`);
    t.true(decoded >= 2, 'the budget is used, not just one writer');
    await blocker.query('ROLLBACK');
    t.deepEqual(await Promise.all(acks), Array<number>(20).fill(500));
    t.is(decoded, 20);
    t.true(tc.collector.endpoint.writer.stats.maxGroup <= 3);
    for (const a of agents) a.close();
  } finally {
    await blocker.end().catch(() => undefined);
    await tc.close();
  }
});

test.serial(
  'a hello that waits behind a stalled database is answered late, not refused; silence is still refused',
  async (t) => {
    const tc = await startTestCollector({ agent: { maxConcurrentWrites: 1 } });
    (tc.collector.endpoint as unknown as { deps: { helloTimeoutMs?: number } }).deps.helloTimeoutMs = 300;
    const blocker = new pg.Client({ connectionString: tc.databaseUrl });
    try {
      const [busy, late, mute] = await insertAgentsWithTokens(tc.collector.db, 3, 'agt_hello_');
      const holder = await TestAgent.connect(tc.wsUrl, busy!.token);
      await holder.hello(busy!.agentId, 'holder');
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      // The holder's batch takes the only write slot and waits for the lock; the next hello queues behind it.
      const held = holder.batch(1, bulkEvents(1, 5));
      await new Promise((r) => setTimeout(r, 100));
      const lateAgent = await TestAgent.connect(tc.wsUrl, late!.token);
      const welcome = lateAgent.hello(late!.agentId, 'late');
      const muteAgent = await TestAgent.connect(tc.wsUrl, mute!.token);
      await new Promise((r) => setTimeout(r, 900));
      await blocker.query('ROLLBACK');
      t.is(await held, 5);
      t.is(await welcome, 0);
      t.is(lateAgent.ws.readyState, WebSocket.OPEN);
      const closed = await muteAgent.closed;
      t.is(closed.code, 1008);
      t.like(muteAgent.frames[0], { type: 'error', code: 'WUW_PROTOCOL_INVALID_FRAME' });
      t.regex((muteAgent.frames[0] as { message: string }).message, /no hello within 0\.3 s/);
      holder.close();
      lateAgent.close();
    } finally {
      await blocker.end().catch(() => undefined);
      await tc.close();
    }
  },
);

test.serial('heartbeat: an agent whose batch waits behind a stalled database is not taken for dead', async (t) => {
  // While its frame waits for a write slot the collector does not read the socket, so the agent's pongs sit unread:
  // that silence is the collector's, not the agent's.
  const tc = await startTestCollector({ agent: { heartbeatSeconds: 0.2, maxConcurrentWrites: 1 } });
  const blocker = new pg.Client({ connectionString: tc.databaseUrl });
  try {
    const [cred] = await insertAgentsWithTokens(tc.collector.db, 1, 'agt_wait_');
    const agent = await TestAgent.connect(tc.wsUrl, cred!.token);
    await agent.hello(cred!.agentId, 'waiting');
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    const ack = agent.batch(1, bulkEvents(1, 10));
    await new Promise((r) => setTimeout(r, 1500));
    await blocker.query('ROLLBACK');
    t.is(await ack, 10);
    t.is(agent.ws.readyState, WebSocket.OPEN);
    agent.close();
  } finally {
    await blocker.end().catch(() => undefined);
    await tc.close();
  }
});

test.serial(
  'heartbeat: a peer that stops answering pings is dropped and its machine marked disconnected; a live one stays',
  async (t) => {
    const tc = await startTestCollector({ agent: { heartbeatSeconds: 0.5 } });
    try {
      const [dead, live] = await enrollMany(tc, 2, 'hb');
      const open = (token: string, autoPong: boolean) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(tc.wsUrl, { headers: { authorization: `Bearer ${token}` }, autoPong });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      const hello = (ws: WebSocket, agentId: string) =>
        new Promise<void>((resolve) => {
          ws.once('message', () => resolve());
          ws.send(
            JSON.stringify({
              type: 'hello',
              protocol: PROTOCOL_VERSION,
              agentId,
              hostname: agentId,
              osVersion: 'x',
              agentVersion: 't',
              mode: 'simulate',
            }),
          );
        });
      const deadWs = await open(dead!.token, false);
      const liveWs = await open(live!.token, true);
      await hello(deadWs, dead!.agentId);
      await hello(liveWs, live!.agentId);
      const connected = async (agentId: string) =>
        (
          await tc.collector.db.query<{ connected: boolean }>('SELECT connected FROM machines WHERE agent_id = $1', [
            agentId,
          ])
        ).rows[0]?.connected;
      t.true(await connected(dead!.agentId));

      const started = Date.now();
      const closed = await new Promise<number>((resolve) => deadWs.once('close', (code) => resolve(code)));
      t.is(closed, 1006, 'terminated without a close handshake');
      t.true(Date.now() - started < 3000);
      for (let i = 0; i < 50 && (await connected(dead!.agentId)); i++) await new Promise((r) => setTimeout(r, 50));
      t.false(await connected(dead!.agentId));

      // The answering peer survived the same heartbeats and can still stream.
      await new Promise((r) => setTimeout(r, 1100));
      t.is(liveWs.readyState, WebSocket.OPEN);
      t.true(await connected(live!.agentId));
      const ack = new Promise<string>((resolve) => liveWs.once('message', (d) => resolve(d.toString())));
      liveWs.send(JSON.stringify({ type: 'batch', batchId: 1, events: bulkEvents(1, 3) }));
      t.like(JSON.parse(await ack), { type: 'ack', upTo: 3 });
      liveWs.close();
    } finally {
      await tc.close();
    }
  },
);

test('heartbeat: every agent is pinged once per interval, spread over the interval rather than all in one turn', async (t) => {
  // Pinging 10,000 sockets in one event-loop turn stalled everything else for about a second.
  const tc = await startTestCollector({ agent: { heartbeatSeconds: 1 } });
  try {
    const creds = await insertAgentsWithTokens(tc.collector.db, 20, 'agt_beat_');
    const started = performance.now();
    const pings: number[][] = [];
    const agents = await Promise.all(
      creds.map(async (c, i) => {
        const a = await TestAgent.connect(tc.wsUrl, c.token);
        pings[i] = [];
        a.ws.on('ping', () => pings[i]!.push(performance.now() - started));
        await a.hello(c.agentId, c.agentId);
        return a;
      }),
    );
    await new Promise((r) => setTimeout(r, 3200));
    for (const [i, p] of pings.entries()) t.true(p.length >= 2 && p.length <= 4, `agent ${i}: ${p.length} pings`);
    // Within one interval the pings fall in several tenth-of-a-second windows, not one.
    const windows = new Set(
      pings
        .flat()
        .filter((ms) => ms >= 1000 && ms < 2000)
        .map((ms) => Math.floor(ms / 100)),
    );
    t.true(windows.size >= 5, `pings of one interval fell in ${windows.size} windows`);
    for (const a of agents) a.close();
  } finally {
    await tc.close();
  }
});
