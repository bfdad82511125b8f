// Agents report a probe result when it changes plus a "still the same" mark every few hours (issue 16), no longer
// every 5 minutes. The collector holds a machine's last reported result while the agent is connected: hours without a
// probe event must not make the machine's status, or its WSUS server's state, stale, unknown or unprobed.
import test from 'ava';
import { api, startTestCollector, TestAgent } from './helpers/collector.js';
import { insertAgentsWithTokens } from './helpers/fleet.js';
import { detectionEvent, policyEvent, probe503, probeEvent, wsusPolicy } from './helpers/events.js';

const HOUR = 3600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

interface MachineRow {
  status: string;
  probe_failing_since: Date | null;
  last_probe_at: Date | null;
  status_reasons: { code: string; evidence: Record<string, unknown> }[];
}

test('hours after the last probe event, a connected machine keeps its probe verdict and its server its state', async (t) => {
  const tc = await startTestCollector();
  try {
    const [down, up] = await insertAgentsWithTokens(tc.collector.db, 2, 'agt_probe_dedup_');
    const DOWN = 'http://wsus-down.corp.example:8530';
    const UP = 'http://wsus-up.corp.example:8530';
    const downAgent = await TestAgent.connect(tc.wsUrl, down!.token);
    await downAgent.hello(down!.agentId, 'srv-down');
    const upAgent = await TestAgent.connect(tc.wsUrl, up!.token);
    await upAgent.hello(up!.agentId, 'srv-up');
    // The last probe results were reported 5 h 50 min ago; only a detection came since (the mark is due at 6 h).
    t.is(
      await downAgent.batch(1, [
        policyEvent(1, ago(6 * HOUR), wsusPolicy(DOWN)),
        probe503(2, ago(5.83 * HOUR), DOWN),
        detectionEvent(3, ago(HOUR), 'succeeded'),
      ]),
      3,
    );
    t.is(
      await upAgent.batch(1, [
        policyEvent(1, ago(6 * HOUR), wsusPolicy(UP)),
        probeEvent(2, ago(5.83 * HOUR), UP),
        detectionEvent(3, ago(HOUR), 'succeeded'),
      ]),
      3,
    );
    // The clock's side: touch the connected agents and re-evaluate time-driven statuses.
    await tc.collector.sweep();
    const machine = async (agentId: string) =>
      (
        await tc.collector.db.query<MachineRow>(
          'SELECT status, probe_failing_since, last_probe_at, status_reasons FROM machines WHERE agent_id = $1',
          [agentId],
        )
      ).rows[0]!;
    const d = await machine(down!.agentId);
    t.is(d.status, 'wsus_unreachable');
    t.truthy(d.status_reasons.find((r) => r.code === 'PROBE_UNREACHABLE'));
    t.is((await machine(up!.agentId)).status, 'healthy');
    const servers = await api<{ items: { url: string; state: string }[] }>(tc, 'GET', '/v1/wsus-servers');
    t.deepEqual(
      servers.body.items.map((s) => [s.url, s.state]),
      [
        [DOWN, 'unreachable'],
        [UP, 'ok'],
      ],
    );

    // The "still the same" mark: the result is confirmed as of now, and the failure still dates from the first one.
    t.is(await downAgent.batch(2, [probe503(4, ago(0), DOWN)]), 4);
    const marked = await machine(down!.agentId);
    t.is(marked.status, 'wsus_unreachable');
    t.deepEqual(marked.probe_failing_since, d.probe_failing_since);
    t.true(marked.last_probe_at!.getTime() > Date.now() - 60_000);
    downAgent.close();
    upAgent.close();
  } finally {
    await tc.close();
  }
});
