// The collector killed mid-stream (SIGKILL of a child process) and restarted on the same database and port: the
// agents reconnect, resend everything after the welcome's ackedSeq, and the database ends with every event once.
import test from 'ava';
import pg from 'pg';
import { createEmptyTestDatabase } from './helpers/db.js';
import { spawnCollector, type ChildCollector } from './helpers/child-collector.js';
import { detectionEvent, probe503, wsusPolicy, policyEvent } from './helpers/events.js';
import { SimAgent, runAll, storedSeqsPerAgent } from './helpers/sim-agent.js';

const AGENTS = 20;
const EVENTS = 2000;
const BASE = Date.UTC(2026, 1, 1);
const URL1 = 'http://wsus-gone.corp.example:8530';

/** A realistic stream: the policy first, then failing detections and 503 probes. */
function makeEvent(seq: number) {
  const time = new Date(BASE + seq * 60_000);
  if (seq === 1) return policyEvent(seq, time, wsusPolicy(URL1));
  return seq % 10 === 0 ? probe503(seq, time, URL1) : detectionEvent(seq, time, 'failed', { hresult: '0x80244022' });
}

test('SIGKILL mid-stream, restart on the same database and port: every event stored exactly once', async (t) => {
  t.timeout(110_000);
  const database = await createEmptyTestDatabase();
  const adminToken = 'admin-crash-test-token-0123456789';
  const env = {
    DATABASE_URL: database.url,
    WUWATCH_ADMIN_TOKEN: adminToken,
    WUWATCH_LOG_LEVEL: 'warn',
    WUWATCH_HOST: '127.0.0.1',
  };
  let child: ChildCollector | null = await spawnCollector({ ...env, WUWATCH_PORT: '0' });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const agents: SimAgent[] = [];
  try {
    const port = child.port;
    const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
    const secret = (await (
      await fetch(`${child.url}/v1/enroll-secrets`, { method: 'POST', headers: auth, body: '{}' })
    ).json()) as {
      secret: string;
    };
    for (let i = 0; i < AGENTS; i++) {
      const res = await fetch(`${child.url}/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: secret.secret, hostname: `crash-${i}` }),
      });
      const { agentId, token } = (await res.json()) as { agentId: string; token: string };
      agents.push(
        new SimAgent({
          wsUrl: child.wsUrl,
          token,
          agentId,
          hostname: `crash-${i}`,
          total: EVENTS,
          makeEvent,
          batchSize: 40,
          maxInFlight: 3,
        }),
      );
    }
    const done = runAll(agents, 90_000);

    // Kill while the fleet is a third of the way through, with batches in flight.
    const acked = () => agents.reduce((n, a) => n + a.ackedSeq, 0);
    while (acked() < (AGENTS * EVENTS) / 3) await new Promise((r) => setTimeout(r, 10));
    await child.kill();
    const ackedAtKill = acked();
    const sentAtKill = agents.reduce((n, a) => n + a.stats.eventsSent, 0);
    t.true(ackedAtKill < AGENTS * EVENTS, 'killed mid-stream');
    t.true(sentAtKill > ackedAtKill, 'batches were in flight when the collector died');
    child = null;

    child = await spawnCollector({ ...env, WUWATCH_PORT: String(port) });
    t.is(child.port, port);
    await done;

    const rows = await storedSeqsPerAgent(pool);
    t.is(rows.length, AGENTS);
    t.deepEqual(
      rows.filter((r) => r.n !== EVENTS || r.distinct_seq !== EVENTS || r.max_seq !== EVENTS || r.acked !== EVENTS),
      [],
    );
    // The agents really did reconnect and resend what was not acknowledged when the collector died.
    t.true(agents.every((a) => a.stats.connects >= 2));
    t.true(agents.reduce((n, a) => n + a.stats.eventsSent, 0) > AGENTS * EVENTS, 'some events were sent twice');

    // The projection survived too: every machine counts all its failures and points at the dead server.
    const { rows: machines } = await pool.query<{
      status: string;
      consecutive_detection_failures: number;
      wsus_url: string;
    }>('SELECT status, consecutive_detection_failures, wsus_url FROM machines');
    const failures = EVENTS - 1 - Math.floor(EVENTS / 10);
    t.true(
      machines.every(
        (m) => m.status === 'wsus_unreachable' && m.wsus_url === URL1 && m.consecutive_detection_failures === failures,
      ),
    );
  } catch (err) {
    if (child) t.log(child.stderrTail());
    throw err;
  } finally {
    for (const a of agents) a.stop();
    await pool.end();
    await child?.stop();
    await database.drop();
  }
});
