import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import {
  startTestCollector,
  enrollAgent,
  TestAgent,
  detectionEvents,
  api,
  type TestCollector,
} from './helpers/collector.js';
import { policyEvent, probeEvent, wsusPolicy } from './helpers/events.js';
import { runCli } from './helpers/cli.js';

// Issue 14, finding 3: one event the database cannot take used to close the socket with 1011, and the agent resent
// the same batch for ever. Each poison below goes through a real agent socket into real PostgreSQL.

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

const count = async (sql: string, agentId: string) =>
  Number((await tc.collector.db.query<{ n: string }>(sql, [agentId])).rows[0]!.n);
const storedSeqs = async (agentId: string) =>
  (
    await tc.collector.db.query<{ seq: string }>(
      'SELECT seq::text AS seq FROM events WHERE agent_id = $1 ORDER BY seq',
      [agentId],
    )
  ).rows.map((r) => Number(r.seq));
const quarantine = async (agentId: string) =>
  (
    await tc.collector.db.query<{ seq: string; class: string; reason: string; raw: string }>(
      'SELECT seq::text AS seq, class, reason, raw FROM quarantined_events WHERE agent_id = $1 ORDER BY seq',
      [agentId],
    )
  ).rows;

/** Sends `events` as one batch, expects an ack (not a close), twice (the redelivery must change nothing). */
async function deliver(t: import('ava').ExecutionContext, host: string, events: unknown[]) {
  const { agentId, token } = await enrollAgent(tc, host);
  for (let round = 0; round < 2; round++) {
    const agent = await TestAgent.connect(tc.wsUrl, token);
    await agent.hello(agentId, host);
    agent.ws.send(JSON.stringify({ type: 'batch', batchId: round + 1, events }));
    const reply = await Promise.race([agent.next(), agent.closed.then((c) => ({ type: 'closed', ...c }))]);
    t.like(reply, { type: 'ack', upTo: Math.max(...events.map((e) => (e as { seq: number }).seq)) }, `round ${round}`);
    agent.close();
    await agent.closed;
  }
  return agentId;
}

const good = (seq: number): WireEvent => detectionEvents(seq, seq)[0]!;

test('a lone UTF-16 surrogate bound for jsonb is replaced, the batch stored and acknowledged', async (t) => {
  const poison = {
    seq: 2,
    time: new Date().toISOString(),
    kind: 'settings',
    data: { note: 'pol\ud800icy', ['k\udc00']: 1 },
  };
  const agentId = await deliver(t, 'srv-surrogate', [good(1), poison, good(3)]);
  t.deepEqual(await storedSeqs(agentId), [1, 2, 3]);
  const { rows } = await tc.collector.db.query<{ data: Record<string, unknown> }>(
    'SELECT data FROM events WHERE agent_id = $1 AND seq = 2',
    [agentId],
  );
  t.deepEqual(rows[0]!.data, { note: 'pol\ufffdicy', 'k\ufffd': 1 });
  t.true(tc.collector.metrics.eventsSanitised.get() >= 1);
});

test('a time in year 0000 is quarantined with its reason; the rest of the batch is stored', async (t) => {
  const poison = { ...good(2), time: '0000-01-01T00:00:00Z' };
  const agentId = await deliver(t, 'srv-year0', [good(1), poison, good(3)]);
  t.deepEqual(await storedSeqs(agentId), [1, 3]);
  const q = await quarantine(agentId);
  t.is(q.length, 1, 'the redelivery is quarantined once');
  t.like(q[0], { seq: '2', class: 'time' });
  t.regex(q[0]!.reason, /0000-01-01.*older than/);
  t.deepEqual(JSON.parse(q[0]!.raw), poison);
  t.is(await count('SELECT last_acked_seq::text AS n FROM agents WHERE id = $1', agentId), 3);
});

test('a time in year 9999 is set to the receive time and cannot pin wsus_servers.last_answer_at', async (t) => {
  const url = 'http://wsus-9999.example.com:8530';
  const before = Date.now();
  const agentId = await deliver(t, 'srv-year9999', [
    policyEvent(1, new Date(), wsusPolicy(url)),
    probeEvent(2, '9999-12-31T23:59:59Z', url),
  ]);
  t.deepEqual(await storedSeqs(agentId), [1, 2]);
  const { rows } = await tc.collector.db.query<{ last_answer_at: Date }>(
    'SELECT last_answer_at FROM wsus_servers WHERE url = $1',
    [url],
  );
  const answered = rows[0]!.last_answer_at.getTime();
  t.true(
    answered >= before - 1000 && answered <= Date.now() + 1000,
    `last_answer_at ${rows[0]!.last_answer_at.toISOString()}`,
  );
  t.true(tc.collector.metrics.eventTimesClamped.get() >= 1);
});

test('a clock 20 days ahead (inside the allowance) cannot put wsus_servers.last_answer_at in the future', async (t) => {
  const url = 'http://wsus-ahead.example.com:8530';
  const ahead = new Date(Date.now() + 20 * 24 * 3600_000).toISOString();
  const agentId = await deliver(t, 'srv-clock-ahead', [
    policyEvent(1, new Date(), wsusPolicy(url)),
    probeEvent(2, ahead, url),
  ]);
  t.deepEqual(await storedSeqs(agentId), [1, 2]);
  const { rows } = await tc.collector.db.query<{ last_answer_at: Date; last_probe_at: Date }>(
    'SELECT last_answer_at, last_probe_at FROM wsus_servers WHERE url = $1',
    [url],
  );
  t.true(rows[0]!.last_answer_at.getTime() <= Date.now() + 1000, rows[0]!.last_answer_at.toISOString());
  t.true(rows[0]!.last_probe_at.getTime() <= Date.now() + 1000, rows[0]!.last_probe_at.toISOString());
});

test('a policy payload of the wrong shape is quarantined instead of throwing in assessPolicy', async (t) => {
  const poison = { seq: 2, time: new Date().toISOString(), kind: 'policy', data: { policy: { windowsUpdate: {} } } };
  const typed = {
    seq: 3,
    time: new Date().toISOString(),
    kind: 'policy',
    data: { policy: { windowsUpdate: { WUServer: 5 }, au: {} } },
  };
  const agentId = await deliver(t, 'srv-policy', [good(1), poison, typed, good(4)]);
  t.deepEqual(await storedSeqs(agentId), [1, 4]);
  const q = await quarantine(agentId);
  t.deepEqual(
    q.map((r) => [r.seq, r.class]),
    [
      ['2', 'policy'],
      ['3', 'policy'],
    ],
  );
  t.regex(q[0]!.reason, /policy\.au/);
  t.regex(q[1]!.reason, /WUServer/);
});

test('bad data for a kind and an unknown kind are quarantined, not a protocol error', async (t) => {
  const badData = { ...good(2), data: { outcome: 'maybe' } };
  const unknownKind = { seq: 3, time: new Date().toISOString(), kind: 'from_the_future', data: {} };
  const agentId = await deliver(t, 'srv-kinds', [good(1), badData, unknownKind, good(4)]);
  t.deepEqual(await storedSeqs(agentId), [1, 4]);
  t.deepEqual(
    (await quarantine(agentId)).map((r) => [r.seq, r.class]),
    [
      ['2', 'data'],
      ['3', 'schema'],
    ],
  );
  const metrics = await fetch(tc.url + '/metrics', { headers: { authorization: `Bearer ${tc.adminToken}` } });
  t.regex(await metrics.text(), /wuwatch_events_quarantined_total\{class="data"\} [1-9]/);
  const machines = await api<{ items: { connected: boolean }[] }>(tc, 'GET', '/v1/machines?q=srv-kinds');
  t.truthy(machines.body.items[0]);
});

test('the operator sees quarantined events in the API and in `wuwatch quarantine list`', async (t) => {
  const poison = { ...good(2), time: '0000-01-01T00:00:00Z', data: { ...good(2).data, caller: '\u001b[31mred' } };
  const agentId = await deliver(t, 'srv-operator', [good(1), poison]);
  const r = await api<{ items: { agent_id: string; seq: string; class: string; raw: string }[] }>(
    tc,
    'GET',
    `/v1/quarantine?agent=${agentId}`,
  );
  t.is(r.status, 200);
  t.like(r.body.items, [{ agent_id: agentId, seq: '2', class: 'time' }]);
  t.deepEqual(JSON.parse(r.body.items[0]!.raw), poison, 'the raw JSON is the event as received');
  const anon = await fetch(tc.url + '/v1/quarantine');
  t.is(anon.status, 401);
  const env = { WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken, TZ: 'UTC' };
  const table = await runCli(['quarantine', 'list', '--agent', agentId], env);
  t.is(table.code, 0, table.err);
  t.regex(table.out, /RECEIVED\s+AGENT\s+SEQ\s+KIND\s+CLASS\s+REASON/);
  t.regex(table.out, new RegExp(`${agentId}\\s+2\\s+detection\\s+time\\s+time 0000-01-01`));
  t.false(table.out.includes('\u001b'), 'no terminal escape reaches the table');
  const json = await runCli(['quarantine', '--agent', agentId, '--json'], env);
  t.is((JSON.parse(json.out) as unknown[]).length, 1);
});

test('seqs an agent never delivers (set aside in its spool) are counted and the rest stored', async (t) => {
  const before = tc.collector.metrics.eventsNeverDelivered.get();
  // Seqs 2 and 4 never arrive: an agent sets a batch aside after repeated refusals and goes on with the next seqs.
  const agentId = await deliver(t, 'srv-gaps', [good(1), good(3), good(5)]);
  t.deepEqual(await storedSeqs(agentId), [1, 3, 5]);
  // The first round counts the two gaps; the redelivery (all at or below the acked seq) counts nothing more.
  t.is(tc.collector.metrics.eventsNeverDelivered.get() - before, 2);
  const metrics = await fetch(tc.url + '/metrics', { headers: { authorization: `Bearer ${tc.adminToken}` } });
  t.regex(await metrics.text(), /wuwatch_agent_events_never_delivered_total [1-9]/);
});
