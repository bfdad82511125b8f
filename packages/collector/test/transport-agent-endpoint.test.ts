import test from 'ava';
import {
  startTestCollector,
  enrollAgent,
  TestAgent,
  detectionEvents,
  api,
  type TestCollector,
} from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

test('an enrolled agent says hello, sends a batch and gets it acknowledged after commit', async (t) => {
  const { agentId, token } = await enrollAgent(tc, 'srv-ok');
  const agent = await TestAgent.connect(tc.wsUrl, token);
  t.is(await agent.hello(agentId, 'srv-ok'), 0);
  t.is(await agent.batch(1, detectionEvents(1, 3)), 3);
  const { rows } = await tc.collector.db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE agent_id = $1', [
    agentId,
  ]);
  t.is(Number(rows[0]!.n), 3);
  const machines = await api<{ items: { hostname: string; status: string; consecutive_detection_failures: number }[] }>(
    tc,
    'GET',
    '/v1/machines?q=srv-ok',
  );
  t.is(machines.body.items[0]?.consecutive_detection_failures, 3);
  t.is(machines.body.items[0]?.status, 'detect_failing');
  agent.close();
});

test('redelivery after a dropped ack stores each event once and the welcome says what is stored', async (t) => {
  const { agentId, token } = await enrollAgent(tc, 'srv-redeliver');
  const a1 = await TestAgent.connect(tc.wsUrl, token);
  await a1.hello(agentId);
  t.is(await a1.batch(1, detectionEvents(1, 5)), 5);
  a1.ws.terminate();
  const a2 = await TestAgent.connect(tc.wsUrl, token);
  t.is(await a2.hello(agentId), 5);
  t.is(await a2.batch(1, detectionEvents(1, 8)), 8);
  const { rows } = await tc.collector.db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE agent_id = $1', [
    agentId,
  ]);
  t.is(Number(rows[0]!.n), 8);
  a2.close();
});

test('missing, bad and revoked tokens are refused with 401 before the upgrade; revoking closes a live connection', async (t) => {
  await t.throwsAsync(TestAgent.connect(tc.wsUrl, null), { message: 'HTTP 401' });
  await t.throwsAsync(TestAgent.connect(tc.wsUrl, 'wwa_nope'), { message: 'HTTP 401' });
  const { agentId, token } = await enrollAgent(tc, 'srv-revoke');
  const live = await TestAgent.connect(tc.wsUrl, token);
  await live.hello(agentId);
  const del = await api(tc, 'DELETE', `/v1/agents/${agentId}`);
  t.is(del.status, 204);
  const closed = await live.closed;
  t.is(closed.code, 1008);
  t.like(live.frames.at(-1), { type: 'error', code: 'WUW_UNAUTHORIZED' });
  await t.throwsAsync(TestAgent.connect(tc.wsUrl, token), { message: 'HTTP 401' });
});

test('malformed, oversized and wrong-typed frames each get a protocol error and a close, and write nothing', async (t) => {
  const { agentId, token } = await enrollAgent(tc, 'srv-bad');
  const cases: [string, string][] = [
    ['not json', '{nope'],
    [
      'wrong type',
      JSON.stringify({ type: 'batch', batchId: 1, events: [{ seq: 'x', time: 'y', kind: 'detection', data: {} }] }),
    ],
    // Bad data for a kind is no longer a protocol error: admission quarantines that event (ingest-admission.test.ts).
    [
      'oversized',
      JSON.stringify({
        type: 'batch',
        batchId: 1,
        events: detectionEvents(1, 1).map((e) => ({ ...e, data: { ...e.data, pad: 'x'.repeat(1_100_000) } })),
      }),
    ],
  ];
  for (const [name, frame] of cases) {
    const a = await TestAgent.connect(tc.wsUrl, token);
    await a.hello(agentId);
    a.ws.send(frame);
    const closed = await a.closed;
    t.true([1008, 1009].includes(closed.code), name);
    const err = a.frames.find((f) => f.type === 'error');
    t.truthy(err, `${name}: error frame`);
  }
  const { rows } = await tc.collector.db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE agent_id = $1', [
    agentId,
  ]);
  t.is(Number(rows[0]!.n), 0);
});
