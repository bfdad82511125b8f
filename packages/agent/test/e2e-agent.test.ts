// End to end on 127.0.0.1: real collector on PostgreSQL, real WSUS stand-ins, real agents in --simulate mode.
import test from 'ava';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startTestCollector, enrollAgent, api, type TestCollector } from '../../collector/test/helpers/collector.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { loadAgentConfig } from '../src/config/load.js';
import { writeCredentials } from '../src/enroll/credentials.js';
import { createSources } from '../src/sources/index.js';
import { RecordingRunner } from '../src/platform/index.js';
import { Agent } from '../src/runtime/agent.js';

const log = pino({ level: 'silent' });

function policyReg(wsus: string): string {
  return [
    'Windows Registry Editor Version 5.00',
    '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]',
    `"WUServer"="${wsus}"`,
    `"WUStatusServer"="${wsus}"`,
    '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU]',
    '"UseWUServer"=dword:00000001',
    '',
  ].join('\r\n');
}

function cycle(day: string, wsus: string, hresult: string | null): string {
  const l = (t: string, comp: string, text: string) => `${day}\t${t}\t 884\ta70\t${comp}\t${text}`;
  const lines = [
    l('10:00:00:000', 'Agent', '** START **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
    l('10:00:00:001', 'Agent', '  * ServiceID = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7} Managed'),
    l(
      '10:00:00:002',
      'PT',
      `  + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = ${wsus}/ClientWebService/client.asmx`,
    ),
  ];
  if (hresult) {
    lines.push(
      l(
        '10:00:01:000',
        'PT',
        `WARNING: GetConfig failure, error = ${hresult}, soap client error = 10, soap error code = 0, HTTP status code = 503`,
      ),
    );
    lines.push(l('10:00:01:001', 'Agent', `  * WARNING: Exit code = ${hresult}`));
  } else {
    lines.push(
      l(
        '10:00:01:000',
        'Agent',
        '  * Found 0 updates and 0 categories in search; evaluated appl. rules of 0 out of 0 deployed entities',
      ),
    );
  }
  lines.push(l('10:00:01:002', 'Agent', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'));
  return lines.join('\r\n') + '\r\n';
}

async function makeAgent(
  tc: TestCollector,
  root: string,
  name: string,
  wsus: string,
  failing: string | null,
): Promise<Agent> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'policy.reg'), policyReg(wsus));
  const today = new Date().toISOString().slice(0, 10);
  await writeFile(
    join(dir, 'WindowsUpdate.log'),
    cycle(today, wsus, failing) + cycle(today, wsus, failing) + cycle(today, wsus, failing),
  );
  const stateDir = join(dir, 'state');
  const creds = await enrollAgent(tc, name);
  await writeCredentials(stateDir, { ...creds, collectorUrl: tc.url });
  const config = loadAgentConfig({
    env: {},
    overrides: {
      collectorUrl: tc.url,
      stateDir,
      simulateDir: dir,
      hostname: name,
      logLevel: 'silent',
      intervals: {
        tailMs: 100,
        policySeconds: 60,
        probeSeconds: 60,
        probeMaxBackoffSeconds: 60,
        wuaSeconds: 60,
        eventSeconds: 60,
      },
      probeTimeouts: { dnsMs: 1000, tcpMs: 1000, tlsMs: 1000, httpMs: 1500 },
    },
  });
  const sources = createSources({ platform: 'simulate', simulateDir: dir, runner: new RecordingRunner(), stateDir });
  const agent = new Agent({
    config,
    credentials: { ...creds, collectorUrl: tc.url },
    sources,
    log,
    logPath: join(dir, 'WindowsUpdate.log'),
    logOffsetMinutes: 0,
  });
  await agent.start();
  return agent;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
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
