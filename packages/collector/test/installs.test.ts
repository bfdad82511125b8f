// Install failures across the fleet (issue 15), on PostgreSQL through the agent protocol: what each machine keeps,
// GET /v1/installs (read scope, in the OpenAPI document), `wuwatch installs --failed`, the dashboard's panels, and
// the optional install_failures alert rule wired through the engine and the outbox to a webhook.
import test from 'ava';
import type { WebhookPayload } from '../src/alerts/message.js';
import { api, startTestCollector, type TestCollector } from './helpers/collector.js';
import {
  connectAgent,
  eventClock,
  startWebhookSink,
  waitFor,
  type ConnectedAgent,
  type WebhookSink,
} from './helpers/alerts.js';
import { runCli } from './helpers/cli.js';
import { detectionEvent, installEvent } from './helpers/events.js';

const HOUR = 3_600_000;
const KB = 'KB5034441';
const TITLE = '2024-01 Security Update for Windows Server 2022 for x64-based Systems (KB5034441)';

let tc: TestCollector;
let sink: WebhookSink;
let failing: ConnectedAgent;
let fine: ConnectedAgent;
const ago = (h: number) => new Date(Date.now() - h * HOUR);

test.before(async () => {
  sink = await startWebhookSink();
  tc = await startTestCollector({
    alerts: {
      debounceMs: 600_000,
      schedule: '0 0 1 1 *',
      rules: { installFailures: { enabled: true, threshold: 3 } },
      channels: [{ type: 'webhook', name: 'ops', url: sink.url, secret: 'x'.repeat(32) }],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  failing = await connectAgent(tc, tc.wsUrl, 'srv-install-fails');
  fine = await connectAgent(tc, tc.wsUrl, 'srv-install-ok');
  await failing.send([
    (s) => installEvent(s, ago(5), 'failed', { kb: KB, title: TITLE }),
    (s) => installEvent(s, ago(3), 'failed', { kb: KB, title: TITLE }),
    (s) => installEvent(s, ago(1), 'failed', { kb: KB, title: TITLE }),
    (s) => installEvent(s, ago(0.5), 'cancelled', { kb: 'KB5034439', hresult: '0x8024000B' }),
  ]);
  await fine.send([(s) => installEvent(s, ago(2), 'succeeded', { kb: 'KB5034439', title: 'Defender update' })]);
});
test.after.always(async () => {
  failing?.agent.close();
  fine?.agent.close();
  await tc?.close();
  await sink?.close();
});

interface Item {
  machineId: string;
  hostname: string;
  at: string;
  outcome: string;
  kb: string | null;
  title: string | null;
  hresult: string | null;
  hresultName: string | null;
  meaning: string | null;
  failuresInARow: number;
}

test.serial('GET /v1/installs?failed=true lists the failures, newest first, each code explained', async (t) => {
  const r = await api<{ items: Item[] }>(tc, 'GET', '/v1/installs?failed=true');
  t.is(r.status, 200);
  t.is(r.body.items.length, 3);
  t.true(r.body.items.every((i) => i.hostname === 'srv-install-fails' && i.outcome === 'failed'));
  t.like(r.body.items[0], {
    machineId: failing.machineId,
    kb: KB,
    title: TITLE,
    hresult: '0x80070643',
    hresultName: 'ERROR_INSTALL_FAILURE',
    failuresInARow: 3,
  });
  t.truthy(r.body.items[0]!.meaning);
  const times = r.body.items.map((i) => Date.parse(i.at));
  t.deepEqual(
    times,
    [...times].sort((a, b) => b - a),
    'newest first',
  );
  const all = await api<{ items: Item[] }>(tc, 'GET', '/v1/installs');
  t.is(all.body.items.length, 5, 'without failed=true: every kept install, cancelled and succeeded too');
  const one = await api<{ items: Item[] }>(tc, 'GET', `/v1/installs?failed=true&machine=${fine.machineId}`);
  t.deepEqual(one.body.items, []);
  t.is((await api(tc, 'GET', '/v1/installs?failed=maybe')).status, 400);
});

test.serial('a read-scope token may list installs; the route is in the OpenAPI document', async (t) => {
  const token = await api<{ token: string }>(tc, 'POST', '/v1/tokens', { name: 'grafana', scope: 'read' });
  const res = await fetch(`${tc.url}/v1/installs?failed=true`, {
    headers: { authorization: `Bearer ${token.body.token}` },
  });
  t.is(res.status, 200);
  const doc = await api<{ paths: Record<string, { get?: { parameters?: { name: string }[] } }> }>(
    tc,
    'GET',
    '/openapi.json',
  );
  const params = doc.body.paths['/v1/installs']?.get?.parameters?.map((p) => p.name) ?? [];
  t.deepEqual(params.sort(), ['failed', 'limit', 'machine']);
});

test.serial('wuwatch installs --failed: a table for people, --json for scripts; --help works', async (t) => {
  const env = { WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken, TZ: 'UTC' };
  const r = await runCli(['installs', '--failed'], env);
  t.is(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  t.regex(lines[0]!, /^WHEN\s+HOSTNAME\s+OUTCOME\s+KB\s+ERROR\s+IN A ROW\s+UPDATE$/);
  t.is(lines.length, 2 + 3);
  t.regex(
    lines[2]!,
    /UTC, 1 h ago\s+srv-install-fails\s+failed\s+KB5034441\s+0x80070643 ERROR_INSTALL_FAILURE\s+3\s+2024-01 Security/,
  );
  const json = await runCli(['installs', '--failed', '--json'], env);
  const items = JSON.parse(json.out) as Item[];
  t.is(items.length, 3);
  t.regex(items[0]!.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'JSON keeps ISO');
  const help = await runCli(['installs', '--help']);
  t.is(help.code, 0);
  t.regex(help.out, /--failed/);
});

test.serial(
  'the dashboard: the fleet page lists the latest install failures, the machine page its installs',
  async (t) => {
    const page = async (path: string) => {
      const res = await fetch(tc.url + path, { headers: { authorization: `Bearer ${tc.adminToken}` } });
      t.is(res.status, 200);
      return res.text();
    };
    const fleet = await page('/');
    const panel = fleet.slice(fleet.indexOf('Latest install failures'));
    t.regex(panel, new RegExp(`data-machine="${failing.machineId}"`));
    t.regex(panel, /KB5034441/);
    t.regex(panel, /ERROR_INSTALL_FAILURE/);
    t.notRegex(panel, /srv-install-ok/);
    const machine = await page(`/machines/${failing.machineId}`);
    const installs = machine.slice(machine.indexOf('<h2>Installs</h2>'));
    t.is((installs.match(/data-outcome="failed"/g) ?? []).length, 3);
    t.is((installs.match(/data-outcome="cancelled"/g) ?? []).length, 1);
    t.regex(installs, /ERROR_INSTALL_FAILURE/);
  },
);

test('install_failures is off by default: a running collector with the default rules raises no alert for it', async (t) => {
  const quiet = await startWebhookSink();
  // Only the alert channel and timing are set: every rule keeps its default, as in a collector with no rules config.
  const dflt = await startTestCollector({
    alerts: {
      debounceMs: 600_000,
      schedule: '0 0 1 1 *',
      channels: [{ type: 'webhook', name: 'ops', url: quiet.url, secret: 'y'.repeat(32) }],
      delivery: { pollMs: 100, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  const m = await connectAgent(dflt, dflt.wsUrl, 'srv-default-rules');
  t.teardown(async () => {
    m.agent.close();
    await dflt.close();
    await quiet.close();
  });
  const clock = eventClock(Date.now() - 5 * HOUR);
  // Far past the rule's threshold, plus a detection streak that a default rule does alert on: the evaluator and the
  // channel work in this collector, so the missing install_failures alert is the rule being off, not a dead pipeline.
  await m.send([
    ...Array.from({ length: 6 }, () => (s: number) => installEvent(s, clock(), 'failed', { kb: KB, title: TITLE })),
    (s) => detectionEvent(s, clock(), 'failed'),
    (s) => detectionEvent(s, clock(), 'failed'),
    (s) => detectionEvent(s, clock(), 'failed'),
  ]);
  const listed = await api<{ items: Item[] }>(dflt, 'GET', '/v1/installs?failed=true');
  t.is(listed.body.items[0]?.failuresInARow, 6, 'the failures were stored');
  await dflt.collector.alerts!.evaluator.run();
  await waitFor(() => quiet.received.length > 0, 'the detection alert');
  const alerts = await api<{ items: { rule: string }[] }>(dflt, 'GET', '/v1/alerts');
  t.true(alerts.body.items.length > 0);
  t.false(alerts.body.items.some((a) => a.rule === 'install_failures'));
  t.false(quiet.received.some((r) => r.body.alert.rule === 'install_failures'));
});

test.serial('install_failures: when enabled it fires through the outbox and resolves after a success', async (t) => {
  await tc.collector.alerts!.evaluator.run();
  await waitFor(() => sink.received.some((r) => r.body.alert.rule === 'install_failures'), 'install_failures sent');
  const body: WebhookPayload = sink.received.find((r) => r.body.alert.rule === 'install_failures')!.body;
  t.is(body.kind, 'firing');
  t.is(body.alert.subject, `machine:${failing.machineId}`);
  t.is(body.alert.title, 'KB5034441 keeps failing to install on srv-install-fails');
  t.regex(body.alert.summary, /has failed to install 3 times in a row on srv-install-fails since .*, 5 h ago/);
  t.like(body.alert.evidence, {
    hresult: '0x80070643',
    hresultName: 'ERROR_INSTALL_FAILURE',
    count: 3,
    update: TITLE,
  });
  t.false(sink.received.some((r) => r.body.alert.subject === `machine:${fine.machineId}`));

  const alertState = async () => {
    await tc.collector.alerts!.evaluator.run();
    const r = await api<{ items: { rule: string; subject: string; state: string }[] }>(tc, 'GET', '/v1/alerts');
    return r.body.items.find((a) => a.rule === 'install_failures' && a.subject === body.alert.subject)?.state;
  };
  // Default hysteresis: two fresh observations without the condition resolve it; the first only starts clearing.
  await failing.send([(s) => installEvent(s, ago(0.1), 'succeeded', { kb: KB, title: TITLE })]);
  t.is(await alertState(), 'clearing', 'the condition is gone after the update installed');
  await failing.send([(s) => installEvent(s, ago(0.05), 'succeeded', { kb: 'KB5034439', title: 'Defender update' })]);
  t.is(await alertState(), 'resolved');
  await waitFor(
    () => sink.received.some((r) => r.body.alert.rule === 'install_failures' && r.body.kind === 'resolved'),
    'the resolved notification',
  );
  const sent = sink.received.filter((r) => r.body.alert.rule === 'install_failures');
  t.deepEqual(
    sent.map((r) => r.body.kind),
    ['firing', 'resolved'],
  );
  t.is(sent[1]!.body.alert.id, body.alert.id, 'the same alert episode');
  t.is(sent[1]!.body.alert.state, 'resolved');
});
