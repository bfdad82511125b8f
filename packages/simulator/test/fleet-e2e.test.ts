// A short real run on 127.0.0.1: a collector on PostgreSQL with compressed thresholds, WSUS stand-ins, a webhook
// sink and the default scenario's fleet of real agents at a fast time scale. Silence is real time: the collector
// needs a whole minute (its sweep takes whole minutes), so the silent machine loses its link 2 s after start.
import test from 'ava';
import { existsSync } from 'node:fs';
import { MACHINE_STATUSES } from '@wuwatch/core';
import { startTestCollector, api } from '../../collector/test/helpers/collector.js';
import { fetchMachines, fetchSummary } from '../src/collector-api.js';
import { startFleet } from '../src/fleet/fleet.js';
import { startWebhookSink } from '../src/report/webhook-sink.js';
import { defaultScenario } from '../src/scenario/parse.js';
import { compressedCollectorConfig } from '../src/time/scale.js';

// One simulated 22 h detection interval every 4 s.
const TIME_SCALE = (22 * 3600) / 4;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('14 agents of the default scenario: every status within ~70 s, the orphan pointer flagged, alerts delivered', async (t) => {
  const alerts: { kind?: string; alert?: { rule?: string } }[] = [];
  const sink = await startWebhookSink((p) => alerts.push(p as (typeof alerts)[number]));
  t.teardown(() => sink.close());
  const tc = await startTestCollector(
    compressedCollectorConfig({ timeScale: TIME_SCALE, silentAfterMinutes: 1, sweepSeconds: 1, webhookUrl: sink.url }),
  );
  t.teardown(() => tc.close());
  const scenario = defaultScenario();
  for (const g of scenario.groups) if (g.role === 'silent') g.silentAfterSeconds = 2;
  const events: string[] = [];
  const fleet = await startFleet({
    collectorUrl: tc.url,
    adminToken: tc.adminToken,
    scenario,
    agents: 14,
    timeScale: TIME_SCALE,
    workers: 0,
    onEvent: (e) => events.push(e.type),
  });
  try {
    t.true(existsSync(fleet.workDir));
    const summary = await waitFor(
      'every status of the default scenario',
      async () => {
        const s = await fetchSummary(tc.url, tc.adminToken);
        return MACHINE_STATUSES.every((st) => (s.byStatus[st] ?? 0) > 0) ? s : undefined;
      },
      80_000,
    );
    t.true(summary.total >= 14);
    t.true(events.includes('silenced'));

    // Machines whose status does not depend on when you look have exactly the status their plan promised.
    const machines = await fetchMachines(tc.url, tc.adminToken);
    const byHost = new Map(machines.map((m) => [m.hostname, m]));
    for (const p of fleet.machines.filter((m) => m.role === 'normal' || m.role === 'stale')) {
      t.is(byHost.get(p.hostname)?.status, p.expected, `${p.hostname} (${p.group})`);
    }
    const branch = machines.find((m) => m.hostname.startsWith('branch-'));
    t.truthy(branch?.status_reasons.some((r) => r.code === 'PROBE_UNREACHABLE' || r.code === 'DETECTION_FAILING'));

    const wsus = await api<{ items: { url: string; state: string; orphan: boolean; machines: number }[] }>(
      tc,
      'GET',
      '/v1/wsus-servers',
    );
    const orphans = wsus.body.items.filter((w) => w.orphan);
    t.is(orphans.length, 1, 'exactly one orphan pointer');
    t.is(orphans[0]?.url, fleet.standins.get('wsus-old')?.url);

    await waitFor(
      'alerts for repeated detection failures and for an unreachable WSUS server',
      async () => {
        const rules = new Set(alerts.filter((a) => a.kind === 'firing').map((a) => a.alert?.rule));
        return rules.has('detect_failures') && rules.has('wsus_unreachable') ? true : undefined;
      },
      20_000,
    );
  } finally {
    await fleet.stop();
  }
  t.false(existsSync(fleet.workDir), 'the work directory is removed');
});
