// A collector killed (SIGKILL, as a crash) after it queued a notification but before it could deliver it: after a
// restart on the same database the receiver gets that notification exactly once, with the same delivery id.
import test from 'ava';
import { childCollectorDatabase } from './helpers/child-collector.js';
import { detectionEvent } from './helpers/events.js';
import {
  connectAgent,
  eventClock,
  freePort,
  sleep,
  startWebhookSink,
  waitFor,
  type WebhookSink,
} from './helpers/alerts.js';

interface OutboxRow {
  id: string;
  channel: string;
  state: string;
  attempts: number;
}

test('killed between firing and delivering, the collector delivers after restart, once', async (t) => {
  t.timeout(60_000);
  const sinkPort = await freePort();
  const adminToken = 'admin-alerts-restart-0123456789abcdef';
  const cluster = await childCollectorDatabase(adminToken, {
    alerts: {
      debounceMs: 50,
      // Nothing listens on the sink's port yet: every delivery fails and is rescheduled.
      channels: [{ type: 'webhook', name: 'ops', url: `http://127.0.0.1:${sinkPort}/hook` }],
      delivery: { pollMs: 200, leaseMs: 2000, retryBaseMs: 200, retryMaxMs: 500 },
    },
  });
  const { pool } = cluster;
  let sink: WebhookSink | null = null;
  t.teardown(async () => {
    await cluster.close();
    await sink?.close();
  });

  let child = await cluster.spawn();
  const m = await connectAgent({ url: child.url, adminToken }, child.wsUrl, 'srv-crash');
  const clock = eventClock();
  await m.send([1, 2, 3].map(() => (seq: number) => detectionEvent(seq, clock(), 'failed')));

  let queued: OutboxRow | undefined;
  await waitFor(async () => {
    const { rows } = await pool.query<OutboxRow>('SELECT id, channel, state, attempts FROM alert_notifications');
    queued = rows[0];
    return rows.length === 1 && queued!.attempts >= 1;
  }, 'a queued notification whose delivery failed');
  t.is(queued!.state, 'pending');
  await child.kill();

  sink = await startWebhookSink(sinkPort);
  child = await cluster.spawn();
  await waitFor(() => sink.received.length >= 1, 'the delivery after restart', 20_000);
  // Leave time for a duplicate to show up: further polls, evaluations after the restart, lease expiry.
  await sleep(2500);

  t.is(sink.received.length, 1, child.stderrTail());
  const got = sink.received[0]!;
  t.is(got.headers['x-wuwatch-delivery'], queued!.id, 'the notification queued before the crash');
  t.is(got.body.id, queued!.id);
  t.is(got.body.kind, 'firing');
  t.is(got.body.alert.rule, 'detect_failures');
  t.is(got.body.alert.machines?.[0]?.hostname, 'srv-crash');
  const { rows } = await pool.query<OutboxRow>('SELECT id, channel, state, attempts FROM alert_notifications');
  t.is(rows.length, 1, 'the restarted evaluator did not queue the alert again');
  t.is(rows[0]!.state, 'delivered');
  t.true(rows[0]!.attempts >= 2);
  const { rows: alerts } = await pool.query<{ state: string; last_notified_state: string }>(
    'SELECT state, last_notified_state FROM alerts',
  );
  t.deepEqual(alerts, [{ state: 'firing', last_notified_state: 'firing' }]);
});
