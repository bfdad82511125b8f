// `wuwatch machine forget HOST` end to end: a real collector on PostgreSQL, real agents over WebSockets, the CLI
// handler over HTTP. The forgotten machine, its events and rollups go, its agent is revoked and disconnected, its
// open alerts are resolved; the rest of the fleet is untouched.
import { PassThrough } from 'node:stream';
import test from 'ava';
import pg from 'pg';
import { machineForgetCommand } from '../src/cli/machine-forget.js';
import {
  api,
  detectionEvents,
  enrollAgent,
  startTestCollector,
  TestAgent,
  type TestCollector,
} from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector({ alerts: { enabled: false } });
});
test.after.always(async () => {
  await tc?.close();
});

/** Runs the forget command as the CLI would after parsing `wuwatch machine forget …`. */
function forget(
  io: ReturnType<typeof cliIo>['io'],
  positionals: string[],
  values: Record<string, string | boolean> = {},
) {
  return machineForgetCommand({ values, positionals, io, path: 'machine forget' });
}

function cliIo(tcx: TestCollector) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  return {
    io: { stdout, stderr: new PassThrough(), env: { WUWATCH_URL: tcx.url, WUWATCH_TOKEN: tcx.adminToken } },
    out: () => out,
  };
}

async function sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: tc.databaseUrl });
  await c.connect();
  try {
    return (await c.query<R>(text, params)).rows;
  } finally {
    await c.end();
  }
}

async function agentWithEvents(hostname: string) {
  const { agentId, token } = await enrollAgent(tc, hostname);
  const agent = await TestAgent.connect(tc.wsUrl, token);
  await agent.hello(agentId, hostname);
  const upTo = await agent.batch(1, detectionEvents(1, 20));
  if (upTo !== 20) throw new Error(`ack upTo ${upTo}`);
  const [m] = await sql<{ id: string }>('SELECT id FROM machines WHERE agent_id = $1', [agentId]);
  return { agentId, token, agent, machineId: m!.id };
}

test('forget HOST removes the machine, its events and rollups, revokes and disconnects its agent', async (t) => {
  const gone = await agentWithEvents('SRV-DECOM');
  const kept = await agentWithEvents('SRV-KEEP');
  await sql(
    `INSERT INTO alerts (id, rule, subject, state, severity, title, summary, evidence, fix, firing_since, last_seen)
     VALUES ('al_1', 'machine_silent', $1, 'firing', 'warning', 't', 's', '{}', 'f', now(), now())`,
    [`machine:${gone.machineId}`],
  );
  t.is((await sql('SELECT 1 FROM detection_days WHERE machine_id = $1', [gone.machineId])).length > 0, true);

  const { io, out } = cliIo(tc);
  t.is(await forget(io, ['srv-decom']), 0, 'hostnames match case-insensitively');
  t.regex(out(), /forgot SRV-DECOM .*: 20 events deleted, agent .* revoked, 1 open alert\(s\) resolved/);

  t.is((await api(tc, 'GET', `/v1/machines/${gone.machineId}`)).status, 404);
  t.deepEqual(await sql('SELECT 1 FROM events WHERE machine_id = $1', [gone.machineId]), []);
  t.deepEqual(await sql('SELECT 1 FROM detection_days WHERE machine_id = $1', [gone.machineId]), []);
  const [agentRow] = await sql<{ revoked: boolean }>(
    'SELECT revoked_at IS NOT NULL AS revoked FROM agents WHERE id = $1',
    [gone.agentId],
  );
  t.true(agentRow?.revoked, 'the agent row is kept, revoked');
  t.deepEqual(await sql<{ state: string }>(`SELECT state FROM alerts WHERE id = 'al_1'`), [{ state: 'resolved' }]);
  const closed = await gone.agent.closed;
  t.true(closed.code > 0, 'the live connection was closed');
  const refused = await t.throwsAsync(TestAgent.connect(tc.wsUrl, gone.token));
  t.is((refused as Error & { statusCode?: number }).statusCode, 401, 'the old token cannot bring the machine back');

  // The rest of the fleet is untouched.
  t.is((await sql('SELECT 1 FROM events WHERE machine_id = $1', [kept.machineId])).length, 20);
  t.is((await api(tc, 'GET', `/v1/machines/${kept.machineId}`)).status, 200);
  kept.agent.close();
});

test('forget refuses to guess: an unknown host, a hostname two machines share, no token', async (t) => {
  const a = await agentWithEvents('SRV-TWIN');
  const b = await agentWithEvents('SRV-TWIN');
  const { io } = cliIo(tc);
  await t.throwsAsync(forget(io, ['no-such-host']), { message: /no machine is called "no-such-host"/ });
  const twin = await t.throwsAsync(forget(io, ['SRV-TWIN']), { message: /2 machines are called/ });
  t.true(twin?.message.includes(a.machineId) && twin.message.includes(b.machineId));
  t.is(await forget(io, [], { id: b.machineId }), 0, '--id picks one');
  t.is((await api(tc, 'GET', `/v1/machines/${a.machineId}`)).status, 200);
  t.is((await api(tc, 'DELETE', `/v1/machines/${b.machineId}`)).status, 404, 'forgetting twice: not found');
  const anon = await fetch(`${tc.url}/v1/machines/${a.machineId}`, { method: 'DELETE' });
  t.is(anon.status, 401);
  a.agent.close();
});
