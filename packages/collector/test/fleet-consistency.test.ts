// One definition per fleet rule: the same facts, sent by real agents over the wire to a real collector, must give the
// same answer for "unreachable", "orphan pointer" and "failing detection streak" in every consumer: the status
// engine, the alert rules, the WSUS servers view (API), the dashboard (WSUS page, machines list, machine page) and
// the CLI. The expected answers come from core's fleet rules applied to the facts, and the field report's cases
// are pinned by hand as well, so a rule that changed meaning everywhere at once is caught too.
import test from 'ava';
import { Writable } from 'node:stream';
import {
  countWsusPointers,
  failingStreak,
  isOrphanPointer,
  probeReach,
  wsusServerState,
  type ProbeData,
  type ProbeReach,
  type WireEvent,
} from '@wuwatch/core';
import { main } from '../src/cli/main.js';
import { api, startTestCollector, type TestCollector } from './helpers/collector.js';
import { connectAgent, eventClock, type ConnectedAgent } from './helpers/alerts.js';
import { detectionEvent, policyEvent, probe503, probeEvent, wsusPolicy } from './helpers/events.js';

const HOUR = 3_600_000;
/** Probes failing for two hours: past the default 30 min of the wsus_unreachable alert rule. */
const PROBED_AT = new Date(Date.now() - 2 * HOUR);

type ProbeFailure = Partial<ProbeData> | 'ok' | '503';
const REFUSED: ProbeFailure = { class: 'refused', httpStatus: null, failedStep: 'tcp', hresult: '0x80072EFD' };
const TIMEOUT: ProbeFailure = { class: 'timeout', httpStatus: null, failedStep: 'tcp', hresult: '0x80072EE2' };
const HTTP_500: ProbeFailure = { class: 'http_status', httpStatus: 500, failedStep: 'http', hresult: '0x801901F4' };

/** The facts: which WSUS server each machine points at and what its probe got, or its detection history. */
interface Facts {
  hostname: string;
  url?: string;
  probe?: ProbeFailure;
  /** Failed detections in a row after the last success (0: the last one succeeded). */
  failures?: number;
}

const ORPHAN_REFUSED = 'http://orphan-refused.corp.example:8530';
const ORPHAN_503 = 'http://orphan-503.corp.example:8530';
const LONE_500 = 'http://lone-500.corp.example:8530';
const SHARED_DEAD = 'http://shared-dead.corp.example:8530';
const MIXED = 'http://mixed.corp.example:8530';

const FLEET: Facts[] = [
  { hostname: 'cons-refused', url: ORPHAN_REFUSED, probe: REFUSED },
  { hostname: 'cons-503', url: ORPHAN_503, probe: '503' },
  { hostname: 'cons-500', url: LONE_500, probe: HTTP_500 },
  { hostname: 'cons-shared-1', url: SHARED_DEAD, probe: TIMEOUT },
  { hostname: 'cons-shared-2', url: SHARED_DEAD, probe: TIMEOUT },
  { hostname: 'cons-mixed-ok', url: MIXED, probe: 'ok' },
  { hostname: 'cons-mixed-500', url: MIXED, probe: HTTP_500 },
  { hostname: 'cons-streak-3', failures: 3 },
  { hostname: 'cons-streak-2', failures: 2 },
  { hostname: 'cons-streak-0', failures: 0 },
];

function probeData(url: string, p: ProbeFailure): ProbeData {
  const e =
    p === 'ok'
      ? probeEvent(1, PROBED_AT, url)
      : p === '503'
        ? probe503(1, PROBED_AT, url)
        : probeEvent(1, PROBED_AT, url, p);
  return e.data as ProbeData;
}

function streakFacts(n: number) {
  return { consecutiveDetectionFailures: n, firstFailureAt: null, lastDetectionHresult: null };
}

/** What core's fleet rules say about the facts: the answer every consumer must give. */
function expected() {
  const pointers = FLEET.filter((f) => f.url).map((f) => ({
    url: f.url!,
    hostname: f.hostname,
    probe: f.probe ? probeData(f.url!, f.probe) : null,
    probeAt: PROBED_AT,
  }));
  const servers = [...countWsusPointers(pointers).values()]
    .sort((a, b) => (a.url < b.url ? -1 : 1))
    .map((c) => ({
      url: c.url,
      state: wsusServerState(c),
      orphan: isOrphanPointer(c),
      unreachable: c.unreachable,
    }));
  const machines = FLEET.map((f) => ({
    hostname: f.hostname,
    reach: f.url && f.probe ? probeReach(probeData(f.url, f.probe)) : null,
    streak: failingStreak(streakFacts(f.failures ?? 0)),
    /** The streak at the detect_failures alert's threshold (3 by default): the threshold is the rule's own. */
    alerting: failingStreak(streakFacts(f.failures ?? 0), 3),
  }));
  return { servers, machines };
}

let tc: TestCollector;
const agents = new Map<string, ConnectedAgent>();

test.before(async () => {
  // Alerts are evaluated only when the test asks (no schedule, no poke within the test), so the evaluation sees
  // the whole fleet at once and no transient half-reported state.
  tc = await startTestCollector({ alerts: { schedule: '0 0 1 1 *', debounceMs: 3_600_000 } });
  for (const f of FLEET) agents.set(f.hostname, await connectAgent(tc, tc.wsUrl, f.hostname));
  // Every pointer first, then the probes: a shared server is never seen with one machine only.
  for (const f of FLEET.filter((x) => x.url)) {
    await agents.get(f.hostname)!.send([(seq) => policyEvent(seq, PROBED_AT, wsusPolicy(f.url!))]);
  }
  for (const f of FLEET) {
    const events: ((seq: number) => WireEvent)[] = [];
    if (f.url && f.probe) {
      const probe = probeData(f.url, f.probe);
      events.push((seq) => ({ seq, time: PROBED_AT.toISOString(), kind: 'probe', data: probe }));
    }
    if (f.failures !== undefined) {
      const clock = eventClock();
      events.push((seq) => detectionEvent(seq, clock(), 'succeeded'));
      for (let i = 0; i < f.failures; i++) {
        events.push((seq) => detectionEvent(seq, clock(), 'failed', { hresult: '0x80070005' }));
      }
    }
    await agents.get(f.hostname)!.send(events);
  }
  await tc.collector.alerts!.evaluator.run();
});

test.after.always(async () => {
  for (const a of agents.values()) a.agent.close();
  await tc?.close();
});

test('the oracle itself: the field report cases come out as the operator expects', (t) => {
  const { servers } = expected();
  const by = new Map(servers.map((s) => [s.url, s]));
  t.like(by.get(ORPHAN_REFUSED), { state: 'unreachable', orphan: true });
  t.like(by.get(ORPHAN_503), { state: 'unreachable', orphan: true }, 'HTTP 503 is unreachable (catalogue)');
  t.like(by.get(LONE_500), { state: 'error', orphan: false }, 'HTTP 500 answers: the server exists, no orphan');
  t.like(by.get(SHARED_DEAD), { state: 'unreachable', orphan: false, unreachable: 2 });
  t.like(by.get(MIXED), { state: 'partial', orphan: false, unreachable: 0 });
});

test('WSUS servers view (API) and the CLI give core’s answer per server', async (t) => {
  const want = expected().servers.map((s) => ({ url: s.url, state: s.state, orphan: s.orphan }));
  const view = await api<{ items: { url: string; state: string; orphan: boolean; unreachable: number }[] }>(
    tc,
    'GET',
    '/v1/wsus-servers',
  );
  t.is(view.status, 200);
  t.deepEqual(
    view.body.items.map((s) => ({ url: s.url, state: s.state, orphan: s.orphan, unreachable: s.unreachable })),
    expected().servers.map((s) => ({ url: s.url, state: s.state, orphan: s.orphan, unreachable: s.unreachable })),
  );

  let out = '';
  const stdout = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const stderr = new Writable({ write: (_c, _e, cb) => cb() });
  const env = { WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken };
  t.is(await main(['wsus', '--json'], { stdout, stderr, env }), 0);
  const cli = JSON.parse(out) as { url: string; state: string; orphan: boolean }[];
  t.deepEqual(
    cli.map((s) => ({ url: s.url, state: s.state, orphan: s.orphan })),
    want,
  );
  out = '';
  t.is(await main(['wsus'], { stdout, stderr, env }), 0);
  for (const s of want) {
    const line = out.split('\n').find((l) => l.startsWith(s.url + ' '));
    t.truthy(line, `the table lists ${s.url}`);
    t.is(/\syes\s/.test(line!), s.orphan, `ORPHAN column of ${s.url}`);
  }
});

test('the dashboard WSUS page flags exactly core’s orphans and shows core’s state', async (t) => {
  const res = await fetch(`${tc.url}/wsus`, { headers: { authorization: `Bearer ${tc.adminToken}` } });
  t.is(res.status, 200);
  const page = await res.text();
  for (const s of expected().servers) {
    const row = new RegExp(`<tr data-url="${s.url.replace(/[.]/g, '\\.')}"( class="orphan")?>([\\s\\S]*?)</tr>`).exec(
      page,
    );
    t.truthy(row, `a row for ${s.url}`);
    t.is(row![1] !== undefined, s.orphan, `orphan row class of ${s.url}`);
    t.is(row![2]!.includes('orphan pointer'), s.orphan, `orphan badge of ${s.url}`);
    t.regex(row![2]!, new RegExp(`<span class="badge [^"]*">${s.state}</span>`), `state of ${s.url}`);
  }
});

test('alerts fire for exactly core’s unreachable servers and orphans, and core’s streaks at the threshold', async (t) => {
  const alerts = await api<{
    items: { rule: string; subject: string; state: string; evidence: { orphan?: boolean; count?: number } }[];
  }>(tc, 'GET', '/v1/alerts?state=open');
  t.is(alerts.status, 200);
  const wsus = alerts.body.items
    .filter((a) => a.rule === 'wsus_unreachable')
    .map((a) => ({ subject: a.subject, orphan: a.evidence.orphan, count: a.evidence.count }))
    .sort((a, b) => a.subject.localeCompare(b.subject));
  t.deepEqual(
    wsus,
    expected()
      .servers.filter((s) => s.unreachable > 0)
      .map((s) => ({ subject: `wsus:${s.url}`, orphan: s.orphan, count: s.unreachable }))
      .sort((a, b) => a.subject.localeCompare(b.subject)),
  );

  const ids = new Map([...agents.values()].map((a) => [`machine:${a.machineId}`, a.hostname]));
  const failing = alerts.body.items
    .filter((a) => a.rule === 'detect_failures')
    .map((a) => ({ hostname: ids.get(a.subject), count: a.evidence.count }))
    .sort((a, b) => String(a.hostname).localeCompare(String(b.hostname)));
  t.deepEqual(
    failing,
    expected()
      .machines.filter((m) => m.alerting)
      .map((m) => ({ hostname: m.hostname, count: m.alerting!.count }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname)),
  );
  t.deepEqual(
    failing.map((f) => f.hostname),
    ['cons-streak-3'],
  );
});

const REACH_REASON: Readonly<Record<ProbeReach, string | null>> = {
  ok: null,
  unreachable: 'PROBE_UNREACHABLE',
  server_error: 'PROBE_SERVER_ERROR',
  invalid_url: 'PROBE_SERVER_ERROR',
};
const REACH_BADGE: Readonly<Record<ProbeReach, string>> = {
  ok: 'answers',
  unreachable: 'unreachable',
  server_error: 'answers wrongly',
  invalid_url: 'invalid URL',
};

test('status, the machines list and the machine page read each machine as core does', async (t) => {
  const list = await fetch(`${tc.url}/machines?limit=100`, { headers: { authorization: `Bearer ${tc.adminToken}` } });
  t.is(list.status, 200);
  const listHtml = await list.text();
  for (const m of expected().machines) {
    const a = agents.get(m.hostname)!;
    const detail = await api<{ status_reasons: { code: string; evidence: { count?: number } }[] }>(
      tc,
      'GET',
      `/v1/machines/${a.machineId}`,
    );
    const codes = detail.body.status_reasons.map((r) => r.code);
    const probeCodes = codes.filter((c) => c.startsWith('PROBE_'));
    t.deepEqual(probeCodes, m.reach && REACH_REASON[m.reach] ? [REACH_REASON[m.reach]] : [], `status of ${m.hostname}`);
    const failingReason = detail.body.status_reasons.find((r) => r.code === 'DETECTION_FAILING');
    t.is(failingReason?.evidence.count, m.streak?.count, `streak in the status of ${m.hostname}`);

    const row = new RegExp(`<tr data-hostname="${m.hostname}"[\\s\\S]*?</tr>`).exec(listHtml);
    t.truthy(row, `the machines list shows ${m.hostname}`);
    if (m.reach) {
      t.true(row![0].includes(`>${REACH_BADGE[m.reach]}</span>`), `probe badge of ${m.hostname}`);
    }

    const page = await fetch(`${tc.url}/machines/${a.machineId}`, {
      headers: { authorization: `Bearer ${tc.adminToken}` },
    });
    const pageHtml = await page.text();
    const shown = /<strong>(\d+)<\/strong> failures? in a row/.exec(pageHtml);
    t.is(shown ? Number(shown[1]) : undefined, m.streak?.count, `streak on the page of ${m.hostname}`);
    if (m.reach) t.true(pageHtml.includes(`>${REACH_BADGE[m.reach]}</span>`), `probe badge on ${m.hostname}'s page`);
  }
});
