// Which detections count (issue 15), end to end on PostgreSQL through the agent protocol: the machine's status and
// the detect_failures alert look only at scans of the update services that matter for its latest policy; scans of
// other services (Microsoft Store, Microsoft Update on a WSUS-only machine) are context, never deciding.
import { readFile } from 'node:fs/promises';
import test from 'ava';
import type { WireEvent } from '@wuwatch/core';
import { api, startTestCollector, type TestCollector } from './helpers/collector.js';
import { connectAgent, type ConnectedAgent } from './helpers/alerts.js';
import { detectionEvent, policyEvent, SERVICE, updatePolicy, wsusPolicy } from './helpers/events.js';

const URL1 = 'http://wsus01.corp.example:8530';
const HOUR = 3_600_000;
// E_ACCESSDENIED is a local-agent failure: detect_failing, not a WSUS status, so the test is about counting alone.
const LOCAL = '0x80070005';

let tc: TestCollector;
test.before(async () => {
  // Alerts evaluate only when the test asks (a schedule far away, a long debounce).
  tc = await startTestCollector({ alerts: { schedule: '0 0 1 1 *', debounceMs: 600_000 } });
});
test.after.always(async () => {
  await tc?.close();
});

type Ev = (seq: number) => WireEvent;
const ago = (h: number) => new Date(Date.now() - h * HOUR);
const scan =
  (h: number, outcome: 'succeeded' | 'failed', serviceId: string | null): Ev =>
  (seq) =>
    detectionEvent(seq, ago(h), outcome, { hresult: LOCAL, ...(serviceId === null ? {} : { serviceId }) });

interface Detail {
  status: string;
  status_reasons: { code: string; message: string; evidence: Record<string, unknown> }[];
  consecutive_detection_failures: number;
  update_sources: { servicesThatMatter: string[]; dualScan: string; bypassesWsus: boolean | null; summary: string };
  scans: { serviceId: string | null; name: string; counts: boolean; outcome: string; failures: number }[];
}

async function detail(a: ConnectedAgent): Promise<Detail> {
  const r = await api<Detail>(tc, 'GET', `/v1/machines/${a.machineId}`);
  return r.body;
}

async function firingFor(a: ConnectedAgent): Promise<string[]> {
  await tc.collector.alerts!.evaluator.run();
  const r = await api<{ items: { rule: string; subject: string }[] }>(tc, 'GET', '/v1/alerts?state=firing');
  return r.body.items.filter((i) => i.subject === `machine:${a.machineId}`).map((i) => i.rule);
}

test('a failing WSUS scan plus a succeeding Store scan: detect_failing, the Store scan shown as context', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'wsus-and-store');
  await a.send([
    (s) => policyEvent(s, ago(10), wsusPolicy(URL1)),
    scan(6, 'failed', SERVICE.wsus),
    scan(4, 'failed', SERVICE.wsus),
    scan(2, 'failed', SERVICE.wsus),
    // Newer than every WSUS failure: before issue 15 this success reset the streak and hid the failing WSUS scans.
    scan(1, 'succeeded', SERVICE.store),
  ]);
  const m = await detail(a);
  t.is(m.status, 'detect_failing');
  t.is(m.consecutive_detection_failures, 3);
  t.deepEqual(m.update_sources.servicesThatMatter, [SERVICE.wsus]);
  const reason = m.status_reasons.find((r) => r.code === 'DETECTION_FAILING')!;
  t.regex(reason.message, /^Detection against WSUS \/ Configuration Manager has failed 3 times in a row/);
  t.regex(
    reason.message,
    /a Microsoft Store scan succeeded at .*, but the WSUS \/ Configuration Manager scans keep failing\./,
  );
  t.is(reason.evidence.service, 'WSUS / Configuration Manager');
  t.like(
    m.scans.map((s) => [s.name, s.counts, s.outcome, s.failures]),
    [
      ['WSUS / Configuration Manager', true, 'failed', 3],
      ['Microsoft Store', false, 'succeeded', 0],
    ],
  );
  t.deepEqual(await firingFor(a), ['detect_failures']);
  const alerts = await api<{ items: { subject: string; summary: string; evidence: Record<string, unknown> }[] }>(
    tc,
    'GET',
    '/v1/alerts?state=firing',
  );
  const alert = alerts.body.items.find((i) => i.subject === `machine:${a.machineId}`)!;
  t.regex(alert.summary, /detection against WSUS \/ Configuration Manager has failed 3 times in a row/);
  t.regex(
    alert.summary,
    /a Microsoft Store scan succeeded at .*, but the WSUS \/ Configuration Manager scans keep failing/,
  );
  t.is(alert.evidence.service, 'WSUS / Configuration Manager');
});

test('a Store-only failure is not a failing machine and fires no alert', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'store-only-failure');
  await a.send([
    (s) => policyEvent(s, ago(10), wsusPolicy(URL1)),
    scan(8, 'succeeded', SERVICE.wsus),
    scan(6, 'failed', SERVICE.store),
    scan(4, 'failed', SERVICE.store),
    scan(2, 'failed', SERVICE.store),
    scan(1, 'failed', SERVICE.store),
  ]);
  const m = await detail(a);
  t.is(m.status, 'healthy');
  t.is(m.consecutive_detection_failures, 0);
  t.like(
    m.scans.find((s) => s.name === 'Microsoft Store'),
    { counts: false, failures: 4 },
  );
  t.deepEqual(await firingFor(a), []);
});

test('the latest policy decides: Microsoft Update failures count until a WSUS-only policy arrives', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'policy-later');
  await a.send([scan(6, 'failed', SERVICE.microsoftUpdate), scan(5, 'failed', SERVICE.microsoftUpdate)]);
  // No policy yet: every service but Store and flighting counts, so no failing update scan is hidden meanwhile.
  t.is((await detail(a)).status, 'detect_failing');
  await a.send([(s) => policyEvent(s, ago(4), wsusPolicy(URL1)), scan(3, 'succeeded', SERVICE.wsus)]);
  const m = await detail(a);
  t.is(m.status, 'healthy');
  t.like(
    m.scans.find((s) => s.serviceId === SERVICE.microsoftUpdate),
    { counts: false, failures: 2 },
  );
});

test('Dual Scan: a WSUS machine with deferral policies also depends on its Windows Update scans', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'dual-scan');
  const dual = updatePolicy({
    wu: { WUServer: URL1, WUStatusServer: URL1, DeferQualityUpdates: 1 },
    au: { UseWUServer: 1 },
  });
  await a.send([
    (s) => policyEvent(s, ago(10), dual),
    scan(5, 'failed', SERVICE.windowsUpdate),
    scan(3, 'failed', SERVICE.windowsUpdate),
    scan(1, 'succeeded', SERVICE.wsus),
  ]);
  const m = await detail(a);
  t.is(m.update_sources.dualScan, 'possible', 'the test agent reports no Windows 10 build');
  t.true(m.update_sources.servicesThatMatter.includes(SERVICE.windowsUpdate));
  t.regex(m.update_sources.summary, /behind WSUS’s back/);
  t.is(m.status, 'detect_failing');
  t.regex(m.status_reasons[0]!.message, /^Detection against Windows Update has failed 2 times/);
});

test('detections that name no service (agents before issue 15) count as before; a named scan supersedes them', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'old-agent');
  await a.send([
    (s) => policyEvent(s, ago(10), wsusPolicy(URL1)),
    scan(6, 'failed', null),
    scan(5, 'failed', null),
    scan(4, 'failed', null),
  ]);
  t.is((await detail(a)).status, 'detect_failing');
  t.deepEqual(await firingFor(a), ['detect_failures']);
  // The agent is upgraded and now names the service: its WSUS scan succeeds, the unnamed streak is history.
  await a.send([scan(1, 'succeeded', SERVICE.wsus)]);
  const m = await detail(a);
  t.is(m.status, 'healthy');
  t.is(m.consecutive_detection_failures, 0);
});

test('migration: detections stored before issue 15 become the unnamed scans, so the status reads the same', async (t) => {
  // Its own collector: the migration's UPDATE runs over every machine of the database.
  const own = await startTestCollector({ alerts: { enabled: false } });
  try {
    const a = await connectAgent(own, own.wsUrl, 'migrated');
    await a.send([(s) => policyEvent(s, ago(10), wsusPolicy(URL1)), scan(5, 'failed', null), scan(3, 'failed', null)]);
    // As a row written before the migration: the streak columns set, no scans per service.
    await own.collector.db.query(`UPDATE machines SET detection_scans = '{}' WHERE id = $1`, [a.machineId]);
    const sql = await readFile(
      new URL('../../../prisma/migrations/20261206234339_detection_scans_installs/migration.sql', import.meta.url),
      'utf8',
    );
    await own.collector.db.query(sql.slice(sql.indexOf('UPDATE "machines"')));
    // The next unnamed failure extends the migrated streak instead of starting a new one.
    await a.send([scan(1, 'failed', null)]);
    const m = (await api<Detail>(own, 'GET', `/v1/machines/${a.machineId}`)).body;
    t.is(m.consecutive_detection_failures, 3);
    t.is(m.status, 'detect_failing');
  } finally {
    await own.close();
  }
});

test('the machine page: the why text with times for people, the update sources, the scans per service', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'page-wsus-store');
  await a.send([
    (s) => policyEvent(s, ago(10), wsusPolicy(URL1)),
    scan(6, 'failed', SERVICE.wsus),
    scan(4, 'failed', SERVICE.wsus),
    scan(1, 'succeeded', SERVICE.store),
  ]);
  const res = await fetch(`${tc.url}/machines/${a.machineId}`, {
    headers: { authorization: `Bearer ${tc.adminToken}` },
  });
  t.is(res.status, 200);
  const page = await res.text();
  const why = page.slice(page.indexOf('<h2>Why this status</h2>'), page.indexOf('<h2>Alerts</h2>'));
  // Issue 17: "since 14:02 CET, 6 h ago", not an ISO string; the stored reason (the API's JSON) keeps ISO.
  t.regex(why, /has failed 2 times in a row since (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2} [^,]+, 6 h ago with 0x80070005/);
  t.regex(
    why,
    /a Microsoft Store scan succeeded at (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2} [^,]+, 1 h ago, but the WSUS \/ Configuration Manager scans keep failing/,
  );
  t.notRegex(why, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  const stored = (await detail(a)).status_reasons[0]!.message;
  t.regex(stored, /since \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/);

  const sources = page.slice(
    page.indexOf('<h2>Where updates come from</h2>'),
    page.indexOf('<h2>Scans by update service</h2>'),
  );
  t.regex(
    sources,
    /come from WSUS \(http:\/\/wsus01\.corp\.example:8530\)\. The machine does not scan Windows Update\./,
  );
  t.regex(sources, /data-bypass="false"/);
  const scans = page.slice(page.indexOf('<h2>Scans by update service</h2>'), page.indexOf('<h2>Installs</h2>'));
  t.regex(scans, new RegExp(`data-service="${SERVICE.wsus}" class="counts"`));
  t.regex(scans, new RegExp(`data-service="${SERVICE.store}" class="context"`));
});

test('the detection timeline counts only the scans that decide the status', async (t) => {
  const a = await connectAgent(tc, tc.wsUrl, 'timeline-counting');
  // The policy first, in a batch of its own: the next batch's scans are rolled up against it.
  await a.send([(s) => policyEvent(s, ago(10), wsusPolicy(URL1))]);
  await a.send([
    scan(3, 'failed', SERVICE.wsus),
    scan(2.5, 'succeeded', SERVICE.store),
    scan(2, 'failed', SERVICE.wsus),
    scan(1.5, 'succeeded', SERVICE.microsoftUpdate),
    scan(1, 'succeeded', null),
  ]);
  const r = await api<{ timeline: { succeeded: number; failed: number }[] }>(tc, 'GET', `/v1/machines/${a.machineId}`);
  const sum = (k: 'succeeded' | 'failed') => r.body.timeline.reduce((n, d) => n + d[k], 0);
  // Two WSUS failures and the unnamed success; the Store and Microsoft Update successes are context only.
  t.is(sum('failed'), 2);
  t.is(sum('succeeded'), 1);
});
