// A bounded soak (issue 14): 8 agents stream 400 events each, about one in 25 a poison (a lone surrogate, year 0000,
// year 9999, a policy of the wrong shape, an unknown kind), while their connections are cut at random and the
// collector restarts on the same database and port. Afterwards: every event stored or quarantined exactly once,
// none lost, none doubled, and every agent reached the end of its spool (none stuck).
import { randomBytes } from 'node:crypto';
import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import { loadConfig } from '../src/config/load.js';
import { startCollector, type Collector } from '../src/server.js';
import { createEmptyTestDatabase, silentLog } from './helpers/db.js';
import { enrollAgent } from './helpers/collector.js';
import { detectionEvent } from './helpers/events.js';
import { SimAgent, runAll } from './helpers/sim-agent.js';

const AGENTS = 8;
const EVENTS = 400;

/** Deterministic per (agent, seq), as a spool resend must be. */
function makeEvent(agent: number, seq: number): WireEvent {
  const base = detectionEvent(seq, new Date(Date.now() - 3_600_000 + seq * 1000), seq % 2 ? 'failed' : 'succeeded');
  const pick = (agent * 7919 + seq * 104_729) % 25;
  if (pick === 0) return { ...base, data: { ...base.data, caller: 'x\ud800y' } };
  if (pick === 1) return { ...base, time: '0000-01-01T00:00:00Z' };
  if (pick === 2) return { ...base, time: '9999-12-31T23:59:59Z' };
  if (pick === 3) return { seq, time: base.time, kind: 'policy', data: { policy: { windowsUpdate: {} } } };
  if (pick === 4) return { seq, time: base.time, kind: 'from_the_future' as WireEvent['kind'], data: {} };
  return base;
}

test('random disconnects, poison events and a collector restart: zero lost, zero doubled, no agent stuck', async (t) => {
  t.timeout(240_000);
  const database = await createEmptyTestDatabase();
  t.teardown(() => database.drop());
  const adminToken = 'admin-' + randomBytes(16).toString('hex');
  const config = (port: number) =>
    loadConfig({
      env: {},
      overrides: { host: '127.0.0.1', port, databaseUrl: database.url, adminToken, logLevel: 'silent' },
    });
  let collector: Collector = await startCollector(config(0), silentLog);
  const port = collector.port;
  const tc = { url: collector.url, adminToken };
  const wsUrl = collector.url.replace(/^http/, 'ws') + '/v1/agent';
  const creds = [];
  for (let i = 0; i < AGENTS; i++) creds.push(await enrollAgent(tc, `soak-${i}`));
  const agents = creds.map(
    (c, i) =>
      new SimAgent({
        wsUrl,
        token: c.token,
        agentId: c.agentId,
        hostname: `soak-${i}`,
        total: EVENTS,
        makeEvent: (seq) => makeEvent(i, seq),
        batchSize: 20,
        maxInFlight: 2,
        reconnectMs: 50,
      }),
  );
  let cuts = 0;
  const chaos = setInterval(() => {
    const victim = agents[Math.floor(Math.random() * AGENTS)] as unknown as { ws: { terminate(): void } | null };
    if (victim.ws) {
      victim.ws.terminate();
      cuts++;
    }
  }, 150);
  const restart = (async () => {
    await new Promise((r) => setTimeout(r, 1500));
    await collector.close();
    await new Promise((r) => setTimeout(r, 500));
    collector = await startCollector(config(port), silentLog);
  })();
  try {
    await runAll(agents, 180_000);
  } finally {
    clearInterval(chaos);
    await restart;
  }
  t.log(`${cuts} connections cut, one collector restart`);
  t.true(cuts > 0);
  const { rows } = await collector.db.query<{ agent_id: string; stored: number; set_aside: number; both: number }>(
    `SELECT a.id AS agent_id,
       (SELECT count(*)::int FROM events e WHERE e.agent_id = a.id) AS stored,
       (SELECT count(*)::int FROM quarantined_events q WHERE q.agent_id = a.id) AS set_aside,
       (SELECT count(*)::int FROM events e JOIN quarantined_events q USING (agent_id, seq) WHERE e.agent_id = a.id)
         AS both
     FROM agents a ORDER BY a.id`,
  );
  t.is(rows.length, AGENTS);
  for (const r of rows) {
    t.is(r.stored + r.set_aside, EVENTS, `${r.agent_id}: every event stored or quarantined (none lost, none doubled)`);
    t.is(r.both, 0, `${r.agent_id}: no event both stored and quarantined`);
    t.true(r.set_aside > 0 && r.set_aside < EVENTS / 5, `${r.agent_id}: ${r.set_aside} quarantined`);
  }
  for (const a of agents) t.is(a.ackedSeq, EVENTS, 'every agent reached the end of its spool');
  await Promise.all(agents.map((a) => a.close()));
  await collector.close();
});
