// The refresh service at hello, over a real agent socket and database: the machine row is registered or refreshed,
// the welcome says what is stored, and the status is re-evaluated on the spot (a silent machine that is back must not
// wait for its next event).
import test from 'ava';
import { startTestCollector, TestAgent, type TestCollector } from './helpers/collector.js';
import type { UpdateSources } from '@wuwatch/core';
import { updateSourcesOf } from '../src/machines/sources.js';
import { detectionEvent, policyEvent, updatePolicy } from './helpers/events.js';
import { insertAgentsWithTokens } from './helpers/fleet.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

interface Row {
  status: string;
  connected: boolean;
  hostname: string;
  os_version: string;
  updated_at: Date;
  last_seen: Date;
}
const machine = async (agentId: string) =>
  (
    await tc.collector.db.query<Row>(
      'SELECT status, connected, hostname, os_version, updated_at, last_seen FROM machines WHERE agent_id = $1',
      [agentId],
    )
  ).rows[0]!;

test('first hello registers the machine; a reconnect refreshes it and the welcome carries the stored seq', async (t) => {
  const [a] = await insertAgentsWithTokens(tc.collector.db, 1, 'agt_first_');
  const first = await TestAgent.connect(tc.wsUrl, a!.token);
  t.is(await first.hello(a!.agentId, 'old-name'), 0);
  t.like(await machine(a!.agentId), { hostname: 'old-name', connected: true, status: 'unknown' });
  await first.batch(1, [detectionEvent(1, new Date(), 'succeeded'), detectionEvent(2, new Date(), 'succeeded')]);
  first.close();
  await first.closed;

  const again = await TestAgent.connect(tc.wsUrl, a!.token);
  t.is(await again.hello(a!.agentId, 'new-name'), 2);
  t.like(await machine(a!.agentId), { hostname: 'new-name', connected: true, status: 'healthy' });
  const { rows } = await tc.collector.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM machines WHERE agent_id = $1',
    [a!.agentId],
  );
  t.is(rows[0]!.n, 1, 'one machine per agent');
  again.close();
});

test('a silent machine that says hello is re-evaluated at once', async (t) => {
  const [a] = await insertAgentsWithTokens(tc.collector.db, 1, 'agt_silent_');
  const first = await TestAgent.connect(tc.wsUrl, a!.token);
  await first.hello(a!.agentId, 'back');
  await first.batch(1, [detectionEvent(1, new Date(), 'succeeded')]);
  first.close();
  await first.closed;
  // As the sweep leaves it after an hour without contact.
  await tc.collector.db.query(
    `UPDATE machines SET last_seen = now() - interval '1 hour', status = 'silent', connected = false,
       status_reasons = '[{"code":"AGENT_SILENT","status":"silent","message":"gone","evidence":{}}]'
     WHERE agent_id = $1`,
    [a!.agentId],
  );
  const back = await TestAgent.connect(tc.wsUrl, a!.token);
  await back.hello(a!.agentId, 'back');
  t.like(await machine(a!.agentId), { status: 'healthy', connected: true });
  back.close();
});

test('a hello that changes nothing in the verdict does not rewrite the status', async (t) => {
  const [a] = await insertAgentsWithTokens(tc.collector.db, 1, 'agt_same_');
  const first = await TestAgent.connect(tc.wsUrl, a!.token);
  await first.hello(a!.agentId, 'steady');
  await first.batch(1, [detectionEvent(1, new Date(Date.now() - 60_000), 'succeeded')]);
  first.close();
  await first.closed;
  const before = await machine(a!.agentId);
  t.is(before.status, 'healthy');
  const again = await TestAgent.connect(tc.wsUrl, a!.token);
  await again.hello(a!.agentId, 'steady');
  const after = await machine(a!.agentId);
  t.is(after.status, 'healthy');
  t.deepEqual(after.updated_at, before.updated_at, 'status and reasons were already right: no second write');
  t.true(after.last_seen >= before.last_seen, 'the contact itself is recorded');
  again.close();
});

test('a hello with a new OS version saves the update sources it derives, though the status stays', async (t) => {
  const [a] = await insertAgentsWithTokens(tc.collector.db, 1, 'agt_upgrade_');
  // WSUS plus a deferral: Dual Scan is only "possible" while the build is unknown, "active" on Windows 10 1607+.
  const url = 'http://wsus.example:8530';
  const policy = updatePolicy({
    wu: { WUServer: url, WUStatusServer: url, DeferQualityUpdates: 1 },
    au: { UseWUServer: 1 },
  });
  const sources = async () =>
    (
      await tc.collector.db.query<{ update_sources: UpdateSources | null; status: string; updated_at: Date }>(
        'SELECT update_sources, status, updated_at FROM machines WHERE agent_id = $1',
        [a!.agentId],
      )
    ).rows[0]!;
  const first = await TestAgent.connect(tc.wsUrl, a!.token);
  await first.hello(a!.agentId, 'upgraded', 'Windows Server 2008 R2');
  const now = Date.now();
  await first.batch(1, [
    policyEvent(1, new Date(now - 120_000), policy),
    detectionEvent(2, new Date(now - 60_000), 'succeeded'),
  ]);
  first.close();
  await first.closed;
  const before = await sources();
  t.is(before.update_sources?.dualScan, 'possible');

  const again = await TestAgent.connect(tc.wsUrl, a!.token);
  await again.hello(a!.agentId, 'upgraded', 'Microsoft Windows [Version 10.0.19045.3803]');
  const after = await sources();
  t.is(after.status, before.status, 'the verdict is the same: only the derived projection changed');
  t.is(after.update_sources?.dualScan, 'active');
  t.deepEqual(
    after.update_sources,
    JSON.parse(JSON.stringify(updateSourcesOf(policy, null, 'Microsoft Windows [Version 10.0.19045.3803]'))),
    'what a batch would have stored for the new OS',
  );
  again.close();
});
