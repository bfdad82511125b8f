// Smoke test of the embedded default: no DATABASE_URL, PGlite under the data directory, data kept across restarts.
// One test only: initialising PGlite costs seconds and a few hundred MB.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { startCollector, type Collector } from '../src/server.js';
import { api, enrollAgent, TestAgent } from './helpers/collector.js';
import { silentLog } from './helpers/db.js';
import { policyEvent, probe503, detectionEvent, wsusPolicy } from './helpers/events.js';

const URL1 = 'http://wsus-embedded.corp.example:8530';

test('embedded PGlite: enroll, stream a batch, query; close, reopen the same data dir and the data is there', async (t) => {
  t.timeout(90_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'wuwatch-embedded-'));
  const adminToken = 'embedded-admin-token-0123456789';
  const config = loadConfig({
    env: {},
    overrides: { host: '127.0.0.1', port: 0, dataDir, adminToken, logLevel: 'silent' },
  });
  t.is(config.databaseUrl, undefined);
  let collector: Collector | null = await startCollector(config, silentLog);
  try {
    t.is(collector.db.kind, 'pglite');
    const target = () => ({ url: collector!.url, adminToken });
    t.deepEqual((await api(target(), 'GET', '/healthz')).body, { status: 'ok', database: 'pglite' });

    const { agentId, token } = await enrollAgent(target(), 'embedded01');
    const wsUrl = () => collector!.url.replace(/^http/, 'ws') + '/v1/agent';
    const agent = await TestAgent.connect(wsUrl(), token);
    t.is(await agent.hello(agentId, 'embedded01'), 0);
    const now = Date.now();
    const events = [
      policyEvent(1, new Date(now - 3_600_000), wsusPolicy(URL1)),
      detectionEvent(2, new Date(now - 1_800_000), 'failed', { hresult: '0x80244022' }),
      probe503(3, new Date(now - 60_000), URL1),
    ];
    t.is(await agent.batch(1, events), 3);
    agent.close();
    await agent.closed;

    type List = { items: { id: string; hostname: string; status: string; wsus_url: string }[] };
    const before = await api<List>(target(), 'GET', '/v1/machines');
    t.like(before.body.items, [{ hostname: 'embedded01', status: 'wsus_unreachable', wsus_url: URL1 }]);

    await collector.close();
    collector = null;
    collector = await startCollector(config, silentLog);
    t.is(collector.db.appliedMigrations.length, 0, 'the reopened database is already migrated');

    const after = await api<List>(target(), 'GET', '/v1/machines');
    t.deepEqual(after.body.items, before.body.items);
    const detail = await api<{ recentEvents: unknown[] }>(target(), 'GET', `/v1/machines/${before.body.items[0]!.id}`);
    t.is(detail.body.recentEvents.length, 3);
    // The agent's token and acknowledged position survived too.
    const again = await TestAgent.connect(wsUrl(), token);
    t.is(await again.hello(agentId, 'embedded01'), 3);
    t.is(await again.batch(2, [detectionEvent(4, new Date(), 'succeeded')]), 4);
    again.close();
    await again.closed;
    const healed = await api<List>(target(), 'GET', '/v1/machines');
    t.is(healed.body.items[0]!.status, 'wsus_unreachable', 'the probe still fails, so the server is still unreachable');
  } finally {
    await collector?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
