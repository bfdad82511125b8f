// Alert lifecycle end to end (real collector on PostgreSQL, real agent protocol, real webhook sink on 127.0.0.1):
// resolution after hysteresis (by good observations and by time), no storm from a flapping machine, repeats.
import test from 'ava';
import { evaluateOnce } from '../src/alerts/engine.js';
import { AlertRulesConfig } from '../src/alerts/rules.js';
import { api, startTestCollector, type TestCollector } from './helpers/collector.js';
import { detectionEvent } from './helpers/events.js';
import { connectAgent, eventClock, sleep, startWebhookSink, waitFor, type WebhookSink } from './helpers/alerts.js';

/** Every second (node-cron's optional seconds field), so clock-driven steps happen within the test's time. */
const EVERY_SECOND = '* * * * * *';
/** Once a year: with a long debounce too, only the test's explicit runs evaluate, so it decides what each one sees. */
const ONLY_BY_TEST = '0 0 1 1 *';

async function setup(
  rules: Record<string, unknown>,
  schedule = EVERY_SECOND,
  debounceMs = 50,
): Promise<{ tc: TestCollector; sink: WebhookSink }> {
  const sink = await startWebhookSink();
  const tc = await startTestCollector({
    alerts: {
      schedule,
      debounceMs,
      rules,
      channels: [{ type: 'webhook', name: 'ops', url: sink.url }],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  return { tc, sink };
}

interface AlertItem {
  id: string;
  rule: string;
  subject: string;
  state: string;
  good_observations: number;
  resolved_at: string | null;
}

async function alertsOf(tc: TestCollector, subject: string): Promise<AlertItem[]> {
  const r = await api<{ items: AlertItem[] }>(tc, 'GET', '/v1/alerts');
  return r.body.items.filter((a) => a.subject === subject);
}

const kinds = (sink: WebhookSink) => sink.received.map((r) => r.body.kind);

test('a success resolves the alert only after enough good observations, with exactly one resolved notification', async (t) => {
  const { tc, sink } = await setup({ hysteresis: { clearAfterMinutes: 30, clearAfterGoodObservations: 2 } });
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });
  const m = await connectAgent(tc, tc.wsUrl, 'srv-heal');
  const subject = `machine:${m.machineId}`;
  const clock = eventClock();
  const fail = (seq: number) => detectionEvent(seq, clock(), 'failed');
  const ok = (seq: number) => detectionEvent(seq, clock(), 'succeeded');

  await m.send([fail, fail, fail]);
  await waitFor(() => sink.received.length >= 1, 'the firing notification');
  t.deepEqual(kinds(sink), ['firing']);

  await m.send([ok]);
  await waitFor(async () => (await alertsOf(tc, subject))[0]?.state === 'clearing', 'state clearing');
  const clearing = (await alertsOf(tc, subject))[0]!;
  t.is(clearing.good_observations, 1);
  // Clock-only evaluations (no new data) must neither count as good observations, resolve, nor notify.
  for (let i = 0; i < 3; i++) await tc.collector.alerts!.evaluator.run();
  await sleep(300);
  t.is((await alertsOf(tc, subject))[0]!.good_observations, 1);
  t.is((await alertsOf(tc, subject))[0]!.state, 'clearing');
  t.deepEqual(kinds(sink), ['firing'], 'nothing is sent while clearing');

  await m.send([ok]);
  await waitFor(() => sink.received.length >= 2, 'the resolved notification');
  const resolved = sink.received[1]!.body;
  t.is(resolved.kind, 'resolved');
  t.is(resolved.alert.state, 'resolved');
  t.is(resolved.alert.id, clearing.id, 'same alert episode');
  t.not(sink.received[1]!.headers['x-wuwatch-delivery'], sink.received[0]!.headers['x-wuwatch-delivery']);
  const [row] = await alertsOf(tc, subject);
  t.is(row!.state, 'resolved');
  t.truthy(row!.resolved_at);
  t.deepEqual((await api<{ items: unknown[] }>(tc, 'GET', '/v1/alerts?state=open')).body.items, []);

  // More good news and more evaluations change nothing: the resolution is sent once.
  await m.send([ok]);
  for (let i = 0; i < 3; i++) await tc.collector.alerts!.evaluator.run();
  await sleep(500);
  t.deepEqual(kinds(sink), ['firing', 'resolved']);
  m.agent.close();
});

test('a condition clear for clearAfterMinutes resolves the alert without further observations', async (t) => {
  // 0.03 min = 1.8 s; good observations alone would need 100.
  const { tc, sink } = await setup({ hysteresis: { clearAfterMinutes: 0.03, clearAfterGoodObservations: 100 } });
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });
  const m = await connectAgent(tc, tc.wsUrl, 'srv-heal-time');
  const clock = eventClock();
  await m.send([1, 2, 3].map(() => (seq: number) => detectionEvent(seq, clock(), 'failed')));
  await waitFor(() => sink.received.length >= 1, 'the firing notification');
  const clearedAt = Date.now();
  await m.send([(seq) => detectionEvent(seq, clock(), 'succeeded')]);
  await waitFor(() => sink.received.length >= 2, 'the resolved notification', 10_000);
  t.true(Date.now() - clearedAt >= 1800, 'not before the condition was clear for clearAfterMinutes');
  t.deepEqual(kinds(sink), ['firing', 'resolved']);
  const [row] = await alertsOf(tc, `machine:${m.machineId}`);
  t.is(row!.state, 'resolved');
  t.true(row!.good_observations < 100);
  await sleep(1200);
  t.deepEqual(kinds(sink), ['firing', 'resolved'], 'resolved once');
  m.agent.close();
});

test('a flapping machine (fail, succeed, fail, …) gives one firing notification, not a storm', async (t) => {
  // Threshold 1: every failure alone is the condition, every success clears it; hysteresis keeps it one alert.
  // Scheduled and post-ingest evaluations keep running alongside the test's own: none may count a report twice.
  const { tc, sink } = await setup({
    detectFailures: { threshold: 1 },
    hysteresis: { clearAfterMinutes: 30, clearAfterGoodObservations: 2 },
  });
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });
  const m = await connectAgent(tc, tc.wsUrl, 'srv-flap');
  const clock = eventClock();
  const evaluator = tc.collector.alerts!.evaluator;
  const states: string[] = [];
  for (let i = 0; i < 8; i++) {
    const outcome = i % 2 === 0 ? 'failed' : 'succeeded';
    await m.send([(seq) => detectionEvent(seq, clock(), outcome)]);
    // Evaluate each observation on its own, as the evaluation right after ingest does when reports are spread out.
    await evaluator.run();
    states.push((await alertsOf(tc, `machine:${m.machineId}`))[0]!.state);
  }
  t.deepEqual(states, ['firing', 'clearing', 'firing', 'clearing', 'firing', 'clearing', 'firing', 'clearing']);
  t.is((await alertsOf(tc, `machine:${m.machineId}`)).length, 1, 'one alert episode throughout');
  await waitFor(() => sink.received.length >= 1, 'the firing notification');
  await sleep(600);
  t.deepEqual(kinds(sink), ['firing']);

  // It settles: a second good observation in a row resolves it, once.
  await m.send([(seq) => detectionEvent(seq, clock(), 'succeeded')]);
  await evaluator.run();
  await waitFor(() => sink.received.length >= 2, 'the resolved notification');
  await sleep(600);
  t.deepEqual(kinds(sink), ['firing', 'resolved']);
  m.agent.close();
});

test('a still-firing alert repeats every repeatIntervalMinutes, never more often', async (t) => {
  const INTERVAL_MS = 0.02 * 60_000; // 1.2 s
  const { tc, sink } = await setup({ repeatIntervalMinutes: 0.02 });
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });
  const m = await connectAgent(tc, tc.wsUrl, 'srv-repeat');
  const clock = eventClock();
  const started = Date.now();
  await m.send([1, 2, 3].map(() => (seq: number) => detectionEvent(seq, clock(), 'failed')));
  await waitFor(() => sink.received.filter((r) => r.body.kind === 'repeat').length >= 3, 'three repeats', 15_000);
  // A fourth failure is news for nobody: it must not trigger an extra notification outside the schedule.
  await m.send([(seq) => detectionEvent(seq, clock(), 'failed')]);
  await sleep(800);
  const elapsed = Date.now() - started;

  const ks = kinds(sink);
  t.is(ks[0], 'firing');
  t.true(
    ks.slice(1).every((k) => k === 'repeat'),
    ks.join(','),
  );
  t.true(ks.length <= Math.floor(elapsed / INTERVAL_MS) + 1, `${ks.length} notifications in ${elapsed} ms`);
  const alertIds = new Set(sink.received.map((r) => r.body.alert.id));
  t.is(alertIds.size, 1, 'all about the same alert');
  const deliveries = sink.countsById();
  t.true(
    [...deliveries.values()].every((n) => n === 1),
    'each notification delivered once',
  );

  const { rows } = await tc.collector.db.query<{ kind: string; created_at: Date }>(
    `SELECT kind, created_at FROM alert_notifications ORDER BY created_at`,
  );
  t.true(rows.length >= 4);
  for (let i = 1; i < rows.length; i++) {
    const gap = rows[i]!.created_at.getTime() - rows[i - 1]!.created_at.getTime();
    t.true(gap >= INTERVAL_MS, `notification ${i} came ${gap} ms after the previous one`);
  }
  m.agent.close();
});

test('acknowledging a clearing alert does not swallow the good observation that arrived before it', async (t) => {
  const { tc, sink } = await setup(
    { hysteresis: { clearAfterMinutes: 30, clearAfterGoodObservations: 2 } },
    ONLY_BY_TEST,
    // No evaluation after ingest on its own: the test decides when the evaluator looks.
    60_000,
  );
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });
  const evaluator = tc.collector.alerts!.evaluator;
  const m = await connectAgent(tc, tc.wsUrl, 'srv-acked');
  const subject = `machine:${m.machineId}`;
  const clock = eventClock();
  const fail = (seq: number) => detectionEvent(seq, clock(), 'failed');
  const ok = (seq: number) => detectionEvent(seq, clock(), 'succeeded');
  await m.send([fail, fail, fail]);
  await evaluator.run();
  await m.send([ok]);
  await evaluator.run();
  const [clearing] = await alertsOf(tc, subject);
  t.like(clearing, { state: 'clearing', good_observations: 1 });

  await m.send([ok]);
  t.is((await api(tc, 'POST', `/v1/alerts/${clearing!.id}/ack`, { comment: 'looking' })).status, 200);
  await evaluator.run();
  t.like((await alertsOf(tc, subject))[0], { state: 'resolved', good_observations: 2 });
  await waitFor(() => sink.received.length >= 2, 'the resolved notification');
  t.deepEqual(kinds(sink), ['firing', 'resolved']);
  m.agent.close();
});

test('evaluators whose clocks disagree count each report as exactly one good observation', async (t) => {
  // Two collectors on two hosts rarely agree to the second; an evaluation can also start just before a report
  // commits. Freshness must follow the data, not the evaluating clock.
  const rules = AlertRulesConfig.parse({ hysteresis: { clearAfterMinutes: 30, clearAfterGoodObservations: 2 } });
  const { tc, sink } = await setup(rules, ONLY_BY_TEST, 60_000);
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });
  const evaluateAt = (offsetMs: number) =>
    tc.collector.db.withTransaction((tx) =>
      evaluateOnce(tx, { rules, channels: ['ops'], now: new Date(Date.now() + offsetMs) }),
    );
  const m = await connectAgent(tc, tc.wsUrl, 'srv-skew');
  const subject = `machine:${m.machineId}`;
  const clock = eventClock();
  const fail = (seq: number) => detectionEvent(seq, clock(), 'failed');
  const ok = (seq: number) => detectionEvent(seq, clock(), 'succeeded');

  await m.send([fail, fail, fail]);
  await evaluateAt(0);
  await m.send([ok]);
  await evaluateAt(-10_000); // a collector whose clock is 10 s behind sees the success first
  t.like((await alertsOf(tc, subject))[0], { state: 'clearing', good_observations: 1 });
  await evaluateAt(+10_000); // then one 10 s ahead: nothing new
  t.like((await alertsOf(tc, subject))[0], { state: 'clearing', good_observations: 1 }, 'not counted twice');
  await m.send([ok]);
  await evaluateAt(0); // a new report, older than the last evaluating clock, is still new data
  t.like((await alertsOf(tc, subject))[0], { state: 'resolved', good_observations: 2 }, 'not lost');
  await tc.collector.alerts!.outbox.deliverDue();
  await waitFor(() => sink.received.length >= 2, 'the resolved notification');
  t.deepEqual(kinds(sink), ['firing', 'resolved']);
  m.agent.close();
});
