// End to end on 127.0.0.1: real collector on PostgreSQL, real WSUS stand-ins, real agents in --simulate mode.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector, enrollAgent, api, type TestCollector } from '../../collector/test/helpers/collector.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import type { Agent } from '../src/runtime/agent.js';
import { cycles, makeSimDir, startSimAgent, waitFor } from './helpers/sim.js';

async function makeAgent(
  tc: TestCollector,
  root: string,
  name: string,
  wsus: string,
  failing: string | null,
): Promise<Agent> {
  const today = new Date().toISOString().slice(0, 10);
  const dir = await makeSimDir(root, name, wsus, cycles(today, 0, 2, wsus, failing));
  const creds = await enrollAgent(tc, name);
  return startSimAgent(dir, tc.url, creds, name);
}

type MachineItem = {
  id: string;
  hostname: string;
  status: string;
  status_reasons: { code: string; evidence: Record<string, unknown> }[];
};

test('agents pointing at a 503 WSUS and a closed port are wsus_unreachable with evidence; a healthy one is healthy', async (t) => {
  const tc = await startTestCollector();
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-e2e-'));
  const dead = await startWsusStandin('503');
  const closed = await startWsusStandin('refuse');
  const ok = await startWsusStandin('healthy');
  const agents: Agent[] = [];
  try {
    agents.push(await makeAgent(tc, root, 'srv-503', dead.url, '0x80244022'));
    agents.push(await makeAgent(tc, root, 'srv-refused', closed.url, '0x80244022'));
    agents.push(await makeAgent(tc, root, 'srv-healthy', ok.url, null));
    const machines = await waitFor(async () => {
      const r = await api<{ items: MachineItem[] }>(tc, 'GET', '/v1/machines');
      const byName = Object.fromEntries(r.body.items.map((m) => [m.hostname, m]));
      const done =
        byName['srv-503']?.status === 'wsus_unreachable' &&
        byName['srv-refused']?.status === 'wsus_unreachable' &&
        byName['srv-healthy']?.status === 'healthy';
      return done ? byName : undefined;
    });
    const probe503 = machines['srv-503']!.status_reasons.find((r) => r.code === 'PROBE_UNREACHABLE');
    t.like(probe503?.evidence, { httpStatus: 503, hresult: '0x801901F7', probeClass: 'http_status' });
    const detect503 = machines['srv-503']!.status_reasons.find((r) => r.code === 'DETECTION_FAILING');
    t.like(detect503?.evidence, {
      hresult: '0x80244022',
      hresultName: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
      count: 3,
    });
    t.like(machines['srv-refused']!.status_reasons.find((r) => r.code === 'PROBE_UNREACHABLE')?.evidence, {
      probeClass: 'refused',
    });
    const wsus = await api<{ items: { url: string; state: string; orphan: boolean }[] }>(tc, 'GET', '/v1/wsus-servers');
    t.true(
      wsus.body.items.some((w) => w.state === 'unreachable' && w.orphan),
      'a dead server one machine points at is an orphan pointer',
    );
    t.true(wsus.body.items.some((w) => w.state === 'ok'));
  } finally {
    for (const a of agents) await a.stop(1000);
    await Promise.all([dead.close(), closed.close(), ok.close()]);
    await tc.close();
    await rm(root, { recursive: true, force: true });
  }
});
