// The `wuwatch` CLI run in-process (main(argv, io)) against a running collector, output captured.
import test from 'ava';
import { startTestCollector, TestAgent, type TestCollector } from './helpers/collector.js';
import { policyEvent, probe503, wsusPolicy } from './helpers/events.js';
import { insertFleet } from './helpers/fleet.js';
import { runCli } from './helpers/cli.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

/** Runs the CLI with WUWATCH_URL/WUWATCH_TOKEN pointing at the test collector unless `env` says otherwise. */
const cli = (args: string[], env: NodeJS.ProcessEnv = { WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken }) =>
  runCli(args, env);

const lines = (s: string) => s.trimEnd().split('\n');

test.serial('token create | list | revoke, and a revoked token is refused', async (t) => {
  const created = await cli(['token', 'create', '--name', 'ops-laptop']);
  t.is(created.code, 0);
  const [id, token] = lines(created.out);
  t.regex(id!, /^tok_/);
  t.regex(token!, /^wwt_/);
  t.regex(created.err, /shown only once/);

  const listed = await cli(['token', 'list']);
  t.is(listed.code, 0);
  t.regex(lines(listed.out)[0]!, /^ID\s+PREFIX\s+NAME\s+CREATED\s+REVOKED$/);
  const row = lines(listed.out).find((l) => l.startsWith(id!));
  t.regex(row!, /ops-laptop/);
  t.false(listed.out.includes(token!), 'the token is never listed');

  const asToken = await cli(['status'], { WUWATCH_URL: tc.url, WUWATCH_TOKEN: token });
  t.is(asToken.code, 0, 'the new token works');

  t.deepEqual(await cli(['token', 'revoke', id!]), { code: 0, out: `revoked ${id}\n`, err: '' });
  const json = JSON.parse((await cli(['token', 'list', '--json'])).out) as { id: string; revokedAt: string | null }[];
  t.truthy(json.find((x) => x.id === id)?.revokedAt);

  const refused = await cli(['status', '--token', token!, '--url', tc.url], {});
  t.is(refused.code, 1);
  t.regex(refused.err, /^wuwatch status: WUW_UNAUTHORIZED: .*revoked/);
});

test.serial('enroll-secret create | list | revoke; agent list | revoke', async (t) => {
  const created = await cli(['enroll-secret', 'create', '--comment', 'building 2']);
  t.is(created.code, 0);
  const [id, secret] = lines(created.out);
  t.regex(id!, /^ens_/);
  t.regex(secret!, /^wwe_/);
  const listed = await cli(['enroll-secret', 'list']);
  t.regex(lines(listed.out)[0]!, /COMMENT/);
  t.regex(listed.out, new RegExp(`${id}.*building 2`));

  const res = await fetch(`${tc.url}/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, hostname: 'dc01' }),
  });
  const { agentId } = (await res.json()) as { agentId: string };
  const agents = await cli(['agent', 'list']);
  t.is(agents.code, 0);
  t.regex(lines(agents.out)[0]!, /HOSTNAME/);
  t.regex(agents.out, new RegExp(`${agentId}.*dc01`));
  t.is((await cli(['agent', 'revoke', agentId])).code, 0);
  const twice = await cli(['agent', 'revoke', agentId]);
  t.is(twice.code, 1);
  t.regex(twice.err, /WUW_NOT_FOUND/);

  t.is((await cli(['enroll-secret', 'revoke', id!])).code, 0);
  const secrets = JSON.parse((await cli(['enroll-secret', 'list', '--json'])).out) as {
    id: string;
    revokedAt: string | null;
  }[];
  t.truthy(secrets.find((s) => s.id === id)?.revokedAt);
  t.is((await cli(['agent', 'create'])).code, 2, 'agents are enrolled, not created');
});

const DEAD = 'http://wsus-dead.corp.example:8530';

test.serial('status, machines --status X --json (all pages), machine ID and wsus', async (t) => {
  await insertFleet(tc.collector.db, 1100, {
    idPrefix: 'agt_cli_',
    hostPrefix: 'cli-',
    statuses: ['healthy', 'healthy', 'detect_stale'],
  });
  // One real machine pointing at a dead server, through the agent endpoint.
  const secret = lines((await cli(['enroll-secret', 'create'])).out)[1]!;
  const res = await fetch(`${tc.url}/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret, hostname: 'sql07' }),
  });
  const { agentId, token } = (await res.json()) as { agentId: string; token: string };
  const agent = await TestAgent.connect(tc.wsUrl, token);
  await agent.hello(agentId, 'sql07');
  await agent.batch(1, [
    policyEvent(1, new Date(Date.now() - 3_600_000), wsusPolicy(DEAD)),
    probe503(2, new Date(), DEAD),
  ]);
  agent.close();

  const status = await cli(['status']);
  t.is(status.code, 0);
  t.regex(status.out, /^STATUS\s+MACHINES$/m);
  t.regex(status.out, /^healthy\s+733$/m);
  t.regex(status.out, /^detect_stale\s+367$/m);
  t.regex(status.out, /^wsus_unreachable\s+1$/m);
  t.regex(status.out, /^total\s+1101$/m);

  const healthy = await cli(['machines', '--status', 'healthy', '--json']);
  t.is(healthy.code, 0);
  const items = JSON.parse(healthy.out) as { hostname: string; status: string }[];
  t.is(items.length, 733, 'more than one page of 1000 is followed');
  t.true(items.every((m) => m.status === 'healthy'));

  const table = await cli(['machines', '--status', 'wsus_unreachable']);
  t.regex(lines(table.out)[0]!, /^HOSTNAME\s+STATUS\s+WSUS\s+LAST ERROR\s+FAILS\s+ID$/);
  const row = lines(table.out)[2]!;
  t.regex(row, /^sql07\s+wsus_unreachable\s+http:\/\/wsus-dead\.corp\.example:8530/);
  const machineId = row.trim().split(/\s+/).at(-1)!;

  const one = await cli(['machine', machineId]);
  t.is(one.code, 0);
  t.regex(one.out, /^sql07 {2}wsus_unreachable$/m);
  t.regex(one.out, /^WSUS: http:\/\/wsus-dead\.corp\.example:8530$/m);
  t.regex(one.out, /^- The WSUS server http:\/\/wsus-dead\.corp\.example:8530 answers HTTP 503/m);
  const missing = await cli(['machine', 'nope']);
  t.is(missing.code, 1);
  t.regex(missing.err, /^wuwatch machine: WUW_NOT_FOUND: Machine nope was not found/);

  const wsus = await cli(['wsus']);
  t.is(wsus.code, 0);
  t.regex(wsus.out, /^URL\s+MACHINES\s+REACHABLE\s+STATE\s+ORPHAN\s+LAST ANSWER$/m);
  t.regex(wsus.out, /^http:\/\/wsus-dead\.corp\.example:8530\s+1\s+0\s+unreachable\s+yes\s+-$/m);
  const wsusJson = JSON.parse((await cli(['wsus', '--json'])).out) as { url: string; orphan: boolean }[];
  t.deepEqual(
    wsusJson.map((w) => [w.url, w.orphan]),
    [[DEAD, true]],
  );
});

test('no token: exit 2 with one clear line, nothing on stdout', async (t) => {
  const r = await cli(['machines'], { WUWATCH_URL: tc.url });
  t.is(r.code, 2);
  t.is(r.out, '');
  t.is(lines(r.err).length, 1);
  t.regex(r.err, /^wuwatch machines: no API token: pass --token or set WUWATCH_TOKEN/);
});

test('unreachable collector: exit 1 naming the URL', async (t) => {
  const url = 'http://127.0.0.1:9';
  const r = await cli(['status', '--url', url, '--token', 'x'], {});
  t.is(r.code, 1);
  t.is(lines(r.err).length, 1);
  t.regex(r.err, /^wuwatch status: WUW_UNREACHABLE: cannot reach the collector at http:\/\/127\.0\.0\.1:9 /);
});

test('usage errors: unknown command, unknown option, missing argument → exit 2; --help → exit 0', async (t) => {
  const unknown = await cli(['frobnicate']);
  t.is(unknown.code, 2);
  t.regex(unknown.err, /unknown command "frobnicate"/);
  const option = await cli(['machines', '--colour']);
  t.is(option.code, 2);
  t.regex(option.err, /^wuwatch machines: .*--colour/);
  const noValue = await cli(['machines', '--status']);
  t.is(noValue.code, 2);
  t.regex(noValue.err, /^wuwatch machines: .*--status/);
  const noId = await cli(['machine']);
  t.is(noId.code, 2);
  t.regex(noId.err, /usage: wuwatch machine show ID/);
  const badStatus = await cli(['machines', '--status', 'sideways']);
  t.is(badStatus.code, 1);
  t.regex(badStatus.err, /WUW_BAD_REQUEST: .*status must be one of/);
  const help = await cli(['--help']);
  t.is(help.code, 0);
  t.regex(help.out, /Usage: wuwatch <command>/);
  t.is((await cli([])).code, 2);
});
