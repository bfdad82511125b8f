// One dead WSUS server, one incident: ten machines pointing at it give ONE wsus_unreachable alert naming all ten,
// their own detection alerts are recorded but inhibited, and a lone machine aiming at a dead server is an orphan.
import test from 'ava';
import { startTestCollector } from './helpers/collector.js';
import { detectionEvent, policyEvent, probe503, wsusPolicy } from './helpers/events.js';
import { connectAgent, eventClock, sleep, startWebhookSink, waitFor, type ConnectedAgent } from './helpers/alerts.js';

const DEAD = 'http://wsus-gone.corp.example:8530';
const ORPHAN = 'http://wsus-old.corp.example:8530';
/** 0.1 min = 6 s: the whole fleet reports before the threshold (even on a busy machine), yet short for a test. */
const AFTER_MINUTES = 0.1;

test('ten machines pointing at one dead WSUS give one alert naming all ten; an orphan pointer says so', async (t) => {
  t.timeout(60_000);
  const sink = await startWebhookSink();
  const tc = await startTestCollector({
    alerts: {
      schedule: '* * * * * *',
      debounceMs: 50,
      rules: { wsusUnreachable: { afterMinutes: AFTER_MINUTES } },
      channels: [{ type: 'webhook', name: 'ops', url: sink.url }],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  t.teardown(async () => {
    await tc.close();
    await sink.close();
  });

  const fleet: ConnectedAgent[] = [];
  for (let i = 1; i <= 10; i++) fleet.push(await connectAgent(tc, tc.wsUrl, `srv-app-${String(i).padStart(2, '0')}`));
  const lone = await connectAgent(tc, tc.wsUrl, 'srv-legacy');

  // Every machine reports its policy and a 503 from its WSUS server at the same moment: none is over the
  // threshold yet, so the alert is raised once the whole fleet is known to be failing.
  const failingSince = new Date();
  await Promise.all(
    fleet.map((m) =>
      m.send([(seq) => policyEvent(seq, failingSince, wsusPolicy(DEAD)), (seq) => probe503(seq, failingSince, DEAD)]),
    ),
  );
  await lone.send([
    (seq) => policyEvent(seq, failingSince, wsusPolicy(ORPHAN)),
    (seq) => probe503(seq, failingSince, ORPHAN),
  ]);
  t.is(sink.received.length, 0, 'nothing before the probe failed for afterMinutes');

  await waitFor(() => sink.received.length >= 2, 'the two wsus_unreachable notifications', 15_000);
  const elapsed = Date.now() - failingSince.getTime();
  t.true(elapsed >= AFTER_MINUTES * 60_000, `raised after ${elapsed} ms`);

  const bySubject = new Map(sink.received.map((r) => [r.body.alert.subject, r.body]));
  const dead = bySubject.get(`wsus:${DEAD}`);
  t.truthy(dead, 'one alert for the dead server');
  t.is(dead!.kind, 'firing');
  t.is(dead!.alert.rule, 'wsus_unreachable');
  t.is(dead!.alert.severity, 'critical');
  const hosts = fleet.map((m) => m.hostname).sort();
  t.deepEqual(dead!.alert.machines?.map((m) => m.hostname).sort(), hosts);
  for (const h of hosts) t.true(dead!.alert.summary.includes(h), `summary names ${h}`);
  t.like(dead!.alert.evidence, {
    url: DEAD,
    httpStatus: 503,
    probeClass: 'http_status',
    count: 10,
    machinesPointing: 10,
    orphan: false,
    hresult: '0x80244022',
  });
  t.regex(dead!.alert.title, /unreachable from 10 machines/);
  t.notRegex(dead!.alert.summary, /orphan/i);

  const orphan = bySubject.get(`wsus:${ORPHAN}`);
  t.truthy(orphan, 'the orphan pointer is its own alert');
  t.is(orphan!.alert.severity, 'warning');
  t.regex(orphan!.alert.title, /^Orphan WSUS pointer: srv-legacy points at unreachable/);
  t.regex(orphan!.alert.summary, /^Orphan pointer: only srv-legacy points at/);
  t.like(orphan!.alert.evidence, { orphan: true, machinesPointing: 1, count: 1 });
  t.deepEqual(
    orphan!.alert.machines?.map((m) => m.hostname),
    ['srv-legacy'],
  );

  // Now every machine fails its detection three times: the WSUS incident explains it, so those alerts are
  // recorded (one per machine) but nobody is paged eleven more times.
  const clock = eventClock();
  const fail = (seq: number) => detectionEvent(seq, clock(), 'failed', { hresult: '0x80244022' });
  await Promise.all([...fleet, lone].map((m) => m.send([fail, fail, fail])));
  await waitFor(
    async () => {
      const { rows } = await tc.collector.db.query(`SELECT 1 FROM alerts WHERE rule = 'detect_failures'`);
      return rows.length === 11;
    },
    'eleven detect_failures alerts',
    10_000,
  );
  await sleep(1500);
  const { rows } = await tc.collector.db.query<{ subject: string; state: string; inhibited_by: string | null }>(
    `SELECT subject, state, inhibited_by FROM alerts WHERE rule = 'detect_failures'`,
  );
  const inhibitedBy = new Map(rows.map((r) => [r.subject, r.inhibited_by]));
  for (const m of fleet) t.is(inhibitedBy.get(`machine:${m.machineId}`), `wsus_unreachable/wsus:${DEAD}`);
  t.is(inhibitedBy.get(`machine:${lone.machineId}`), `wsus_unreachable/wsus:${ORPHAN}`);
  t.true(rows.every((r) => r.state === 'firing'));
  t.deepEqual(
    sink.received.map((r) => r.body.alert.rule),
    ['wsus_unreachable', 'wsus_unreachable'],
    'inhibited alerts are not notified',
  );
  const { rows: outbox } = await tc.collector.db.query(`SELECT 1 FROM alert_notifications`);
  t.is(outbox.length, 2, 'nor queued');
  for (const m of [...fleet, lone]) m.agent.close();
});
