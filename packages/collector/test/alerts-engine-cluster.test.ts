// Two collector processes on one PostgreSQL database, agents spread across both: each notification is delivered
// exactly once and there is one open alert per (rule, subject) — the advisory lock and the outbox lease at work.
import test from 'ava';
import { childCollectorDatabase } from './helpers/child-collector.js';
import { detectionEvent } from './helpers/events.js';
import { connectAgent, eventClock, sleep, startWebhookSink, waitFor, type ConnectedAgent } from './helpers/alerts.js';

const MACHINES = 6;

test('two collectors on one database send each notification once', async (t) => {
  t.timeout(80_000);
  const sink = await startWebhookSink();
  const adminToken = 'admin-alerts-cluster-0123456789abcdef';
  const cluster = await childCollectorDatabase(adminToken, {
    alerts: {
      // The default schedule (every minute): alerts must come from the evaluations right after ingest.
      debounceMs: 20,
      channels: [{ type: 'webhook', name: 'ops', url: sink.url }],
      delivery: { pollMs: 100, leaseMs: 5000, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  const { pool } = cluster;
  const agents: ConnectedAgent[] = [];
  t.teardown(async () => {
    for (const a of agents) a.agent.close();
    await cluster.close();
    await sink.close();
  });

  // One after the other: the first applies the migrations, the second finds the schema up to date.
  const a = await cluster.spawn();
  const b = await cluster.spawn();
  t.not(a.port, b.port);

  for (let i = 0; i < MACHINES; i++) {
    const via = i % 2 === 0 ? a : b;
    agents.push(await connectAgent({ url: via.url, adminToken }, via.wsUrl, `srv-pair-${i}`));
  }
  // Three rounds of one failed detection per machine, all machines at once on both collectors, so both
  // evaluators run concurrently and contend for the lead.
  const clock = eventClock();
  for (let round = 0; round < 3; round++) {
    const at = clock();
    await Promise.all(agents.map((m) => m.send([(seq) => detectionEvent(seq, at, 'failed')])));
    await sleep(30);
  }

  const started = Date.now();
  // Well under the one-minute schedule: a collector that lost the lock must retry, not wait for the next tick.
  await waitFor(() => sink.received.length >= MACHINES, `${MACHINES} notifications`, 10_000);
  t.log(`all ${MACHINES} notifications ${Date.now() - started} ms after the third failure`);
  // Duplicates would come from the second collector's evaluations and outbox polls: give them time.
  await sleep(2000);

  const counts = sink.countsById();
  t.is(counts.size, MACHINES, 'one notification per machine');
  t.deepEqual(
    [...counts.entries()].filter(([, n]) => n !== 1),
    [],
    'each notification delivered exactly once',
  );
  const subjects = sink.received.map((r) => r.body.alert.subject).sort();
  t.deepEqual(subjects, agents.map((m) => `machine:${m.machineId}`).sort());
  t.true(sink.received.every((r) => r.body.kind === 'firing' && r.body.alert.rule === 'detect_failures'));

  const { rows: dup } = await pool.query(
    `SELECT rule, subject, count(*)::int AS n FROM alerts WHERE state <> 'resolved' GROUP BY rule, subject HAVING count(*) > 1`,
  );
  t.deepEqual(dup, [], 'one open alert per (rule, subject)');
  const { rows: open } = await pool.query(`SELECT 1 FROM alerts WHERE state <> 'resolved'`);
  t.is(open.length, MACHINES);
  const { rows: outbox } = await pool.query<{ state: string; attempts: number }>(
    'SELECT state, attempts FROM alert_notifications',
  );
  t.is(outbox.length, MACHINES, 'each notification queued once');
  t.true(outbox.every((r) => r.state === 'delivered' && r.attempts === 1));
});

test('a good observation counts once, whichever collector evaluates it', async (t) => {
  t.timeout(60_000);
  const sink = await startWebhookSink();
  const adminToken = 'admin-alerts-cluster-hysteresis-0123456789';
  const cluster = await childCollectorDatabase(adminToken, {
    alerts: {
      debounceMs: 20,
      rules: { hysteresis: { clearAfterMinutes: 30, clearAfterGoodObservations: 2 } },
      channels: [{ type: 'webhook', name: 'ops', url: sink.url }],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  const { pool } = cluster;
  const agents: ConnectedAgent[] = [];
  t.teardown(async () => {
    for (const m of agents) m.agent.close();
    await cluster.close();
    await sink.close();
  });
  const a = await cluster.spawn();
  const b = await cluster.spawn();
  const sick = await connectAgent({ url: a.url, adminToken }, a.wsUrl, 'srv-sick');
  const bystander = await connectAgent({ url: b.url, adminToken }, b.wsUrl, 'srv-bystander');
  agents.push(sick, bystander);
  const clock = eventClock();
  const fail = (seq: number) => detectionEvent(seq, clock(), 'failed');
  const ok = (seq: number) => detectionEvent(seq, clock(), 'succeeded');
  const alertOf = async (m: ConnectedAgent) =>
    (
      await pool.query<{ state: string; good_observations: number; last_seen: Date }>(
        `SELECT state, good_observations, last_seen FROM alerts WHERE subject = $1`,
        [`machine:${m.machineId}`],
      )
    ).rows[0];
  const kindsFor = (m: ConnectedAgent) =>
    sink.received.filter((r) => r.body.alert.subject === `machine:${m.machineId}`).map((r) => r.body.kind);

  // The bystander, on the other collector, has a firing alert of its own: its last_seen shows when B evaluated.
  await bystander.send([fail, fail, fail]);
  await sick.send([fail, fail, fail]);
  await waitFor(() => sink.received.length >= 2, 'both firing notifications');
  await sick.send([ok]);
  await waitFor(async () => (await alertOf(sick))?.state === 'clearing', 'state clearing');
  t.is((await alertOf(sick))!.good_observations, 1);

  // The other collector evaluates because of its own agent: it must not count srv-sick's success a second time.
  const before = (await alertOf(bystander))!.last_seen.getTime();
  await bystander.send([fail]);
  await waitFor(
    async () => (await alertOf(bystander))!.last_seen.getTime() > before,
    'an evaluation after the bystander reported',
  );
  t.like(await alertOf(sick), { state: 'clearing', good_observations: 1 }, 'one success is one good observation');

  await sick.send([ok]);
  await waitFor(() => kindsFor(sick).length >= 2, 'the resolved notification');
  await sleep(500);
  t.deepEqual(kindsFor(sick), ['firing', 'resolved']);
  t.deepEqual(kindsFor(bystander), ['firing']);
});
