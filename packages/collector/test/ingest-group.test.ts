// The ingest's group commit: batches of many sockets in one transaction, each still answered, refused or quarantined
// on its own. The batches are made to share a transaction by holding the events table locked while they queue.
import test from 'ava';
import pg from 'pg';
import { startTestCollector, TestAgent, type TestCollector } from './helpers/collector.js';
import { insertAgentsWithTokens } from './helpers/fleet.js';
import { bulkEvents } from './helpers/events.js';

/** Connects and greets `n` agents; with one writer, their batches queue behind the first while events is locked. */
async function greeted(tc: TestCollector, n: number, prefix: string) {
  const creds = await insertAgentsWithTokens(tc.collector.db, n, prefix);
  return Promise.all(
    creds.map(async (c) => {
      const agent = await TestAgent.connect(tc.wsUrl, c.token);
      await agent.hello(c.agentId, c.agentId);
      return { ...c, agent };
    }),
  );
}

/**
 * Runs `send` while `table` is locked: the first item it sends takes the only writer and waits for the lock, so the
 * rest queue and are written in shared transactions once it is released.
 */
async function whileStalled<T>(tc: TestCollector, send: () => Promise<T>, table = 'events'): Promise<T> {
  const blocker = new pg.Client({ connectionString: tc.databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const out = await send();
    await new Promise((r) => setTimeout(r, 500));
    await blocker.query('ROLLBACK');
    return out;
  } finally {
    await blocker.end();
  }
}

test('a poison event in a shared transaction quarantines only itself; its neighbours are stored and acknowledged', async (t) => {
  const tc = await startTestCollector({ agent: { maxConcurrentWrites: 1 } });
  try {
    const agents = await greeted(tc, 6, 'agt_grp_poison_');
    const poisoned = agents[3]!.agentId;
    // A refusal admission cannot foresee: the database itself rejects one (agent, seq).
    await tc.collector.db.query(
      `ALTER TABLE events ADD CONSTRAINT poison CHECK (NOT (agent_id = '${poisoned}' AND seq = 7))`,
    );
    const acks = await whileStalled(tc, async () => agents.map((a) => a.agent.batch(1, bulkEvents(1, 10))));
    t.deepEqual(await Promise.all(acks), Array<number>(6).fill(10), 'every agent acknowledged up to 10');
    const { rows } = await tc.collector.db.query<{ agent_id: string; n: string }>(
      'SELECT agent_id, count(*) AS n FROM events GROUP BY agent_id ORDER BY agent_id',
    );
    t.deepEqual(
      rows.map((r) => [r.agent_id, Number(r.n)]),
      agents.map((a) => [a.agentId, a.agentId === poisoned ? 9 : 10]).sort(),
    );
    const q = await tc.collector.db.query<{ agent_id: string; seq: string; class: string }>(
      'SELECT agent_id, seq, class FROM quarantined_events',
    );
    t.deepEqual(q.rows, [{ agent_id: poisoned, seq: '7', class: 'database' }]);
    t.true(tc.collector.endpoint.writer.stats.maxGroup > 1, 'the batches did share a transaction');
    for (const a of agents) t.is(a.agent.ws.readyState, a.agent.ws.OPEN);
    for (const a of agents) a.agent.close();
  } finally {
    await tc.close();
  }
});

test('a revoked agent in a shared transaction is refused alone; redelivered batches in groups are stored once', async (t) => {
  const tc = await startTestCollector({ agent: { maxConcurrentWrites: 1 } });
  try {
    const agents = await greeted(tc, 5, 'agt_grp_rev_');
    const revoked = agents[1]!;
    const acks = await whileStalled(tc, async () => {
      const head = agents[0]!.agent.batch(1, bulkEvents(1, 20));
      await new Promise((r) => setTimeout(r, 150));
      const rest = agents.slice(1).map((a) => a.agent.batch(1, bulkEvents(1, 20)));
      await new Promise((r) => setTimeout(r, 150));
      // Revoked while its batch waits in the queue: the group finds its agent row gone.
      await tc.collector.db.query('UPDATE agents SET revoked_at = now() WHERE id = $1', [revoked.agentId]);
      return [head, ...rest];
    });
    const settled = await Promise.allSettled(acks);
    for (const [i, a] of agents.entries()) {
      if (a === revoked) t.is(settled[i]!.status, 'rejected');
      else t.deepEqual(settled[i], { status: 'fulfilled', value: 20 });
    }
    t.is((await revoked.agent.closed).code, 1011, 'the revoked agent is closed, nothing acknowledged');
    // The others resend what they already sent plus more (a reconnect after a lost ack), again in shared groups.
    const again = await whileStalled(tc, async () =>
      agents.filter((a) => a !== revoked).map((a) => a.agent.batch(2, bulkEvents(11, 30))),
    );
    t.deepEqual(await Promise.all(again), [30, 30, 30, 30]);
    const { rows } = await tc.collector.db.query<{ agent_id: string; n: string; d: string; acked: string }>(
      `SELECT e.agent_id, count(*) AS n, count(DISTINCT e.seq) AS d, max(a.last_acked_seq) AS acked
       FROM events e JOIN agents a ON a.id = e.agent_id GROUP BY e.agent_id ORDER BY e.agent_id`,
    );
    t.deepEqual(
      rows.map((r) => [r.agent_id, Number(r.n), Number(r.d), Number(r.acked)]),
      agents
        .filter((a) => a !== revoked)
        .map((a) => [a.agentId, 30, 30, 30])
        .sort(),
    );
    t.true(tc.collector.endpoint.writer.stats.maxGroup > 1);
    for (const a of agents) a.agent.close();
  } finally {
    await tc.close();
  }
});

test("hellos of a reconnect storm share transactions and each welcome carries its own agent's stored seq", async (t) => {
  const tc = await startTestCollector({ agent: { maxConcurrentWrites: 1 } });
  try {
    const first = await greeted(tc, 12, 'agt_grp_hello_');
    for (const [i, a] of first.entries()) t.is(await a.agent.batch(1, bulkEvents(1, i + 1)), i + 1);
    for (const a of first) a.agent.close();
    await Promise.all(first.map((a) => a.agent.closed));
    const before = tc.collector.endpoint.writer.stats.transactions;
    const sockets = await Promise.all(first.map((a) => TestAgent.connect(tc.wsUrl, a.token)));
    const welcomes = await whileStalled(
      tc,
      async () => {
        // The first hello keeps the only writer busy on the locked table, so the others queue together behind it.
        const held = sockets[0]!.hello(first[0]!.agentId, 'again');
        await new Promise((r) => setTimeout(r, 150));
        return [held, ...sockets.slice(1).map((s, i) => s.hello(first[i + 1]!.agentId, 'again'))];
      },
      'machines',
    );
    t.deepEqual(
      await Promise.all(welcomes),
      first.map((_, i) => i + 1),
    );
    t.true(tc.collector.endpoint.writer.stats.transactions - before < 12, 'fewer transactions than hellos');
    const { rows } = await tc.collector.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM machines WHERE connected AND hostname = 'again'",
    );
    t.is(Number(rows[0]!.n), 12);
    for (const s of sockets) s.close();
  } finally {
    await tc.close();
  }
});
