// The dashboard's pure parts: the escaping template, the SVG charts, the pages' markup, sessions and history.
import test from 'ava';
import { describeHresult, formatDescription } from '@wuwatch/core';
import { escapeHtml, href, html, raw, SafeHtml } from '../src/dashboard/html.js';
import {
  axisTicks,
  dayWindow,
  detectionTimelineChart,
  probeStepsChart,
  statusHistoryChart,
  statusLegend,
} from '../src/dashboard/svg.js';
import { machinesPage, type MachineListItem } from '../src/dashboard/pages/machines.js';
import { machinePage, codesToExplain, type MachineDetail } from '../src/dashboard/pages/machine.js';
import { explainCode, remedyHtml } from '../src/dashboard/pages/explain.js';
import { wsusPage } from '../src/dashboard/pages/wsus.js';
import { summaryPage } from '../src/dashboard/pages/summary.js';
import { SessionStore, sessionCookieOptions } from '../src/dashboard/session.js';
import { safeNext } from '../src/dashboard/auth.js';
import { alertsFor } from '../src/dashboard/alerts.js';
import { buildWsusView } from '../src/status/wsus.js';

const HOSTILE = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const NOW = new Date('2026-11-25T12:00:00Z');

test('escapeHtml escapes the five HTML metacharacters and the backtick', (t) => {
  t.is(
    escapeHtml(`<a href="x" title='y'>&\`</a>`),
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
  );
  t.is(escapeHtml('plain text'), 'plain text');
});

test('html escapes interpolated values by default, keeps nested html, joins arrays and drops null/undefined/false', (t) => {
  const name = HOSTILE;
  const attr = '" onmouseover="alert(1)';
  // prettier-ignore
  const out = html`<p title="${attr}">${name}</p>${[html`<b>${'<i>'}</b>`, 'x&y']}${null}${undefined}${false}${0}`;
  t.true(out instanceof SafeHtml);
  t.is(out.value, `<p title="&quot; onmouseover=&quot;alert(1)">${ESCAPED}</p><b>&lt;i&gt;</b>x&amp;y0`);
  t.is(String(out), out.value);
  t.is(html`${raw('<hr>')}`.value, '<hr>', 'raw is the one explicit way in for trusted markup');
});

test('href builds local links with encoded parameters and leaves empty ones out', (t) => {
  t.is(
    href('/machines', { status: 'wsus_unreachable', q: '', wsus: undefined, cursor: null }),
    '/machines?status=wsus_unreachable',
  );
  t.is(href('/machines', { q: 'a&b=<c>', limit: 2 }), '/machines?q=a%26b%3D%3Cc%3E&limit=2');
  t.is(href('/wsus'), '/wsus');
});

function listItem(over: Partial<MachineListItem> = {}): MachineListItem {
  return {
    id: 'm1',
    hostname: 'srv01',
    status: 'wsus_unreachable',
    wsus_url: 'http://wsus01:8530',
    connected: true,
    last_seen: NOW,
    last_detection_at: new Date(NOW.getTime() - 120_000),
    last_detection_outcome: 'failed',
    last_detection_hresult: '0x80244022',
    consecutive_detection_failures: 3,
    last_probe_ok: false,
    last_probe_class: 'http_status',
    last_probe_http_status: 503,
    last_probe_at: NOW,
    status_reasons: [
      { code: 'PROBE_UNREACHABLE', status: 'wsus_unreachable', message: 'The WSUS server answers 503.' },
    ],
    ...over,
  };
}

test('the machines table shows a hostile hostname as text (cell and attribute) and runs no script', (t) => {
  const out = machinesPage({
    now: NOW,
    items: [listItem({ hostname: HOSTILE, id: 'a"b', wsus_url: 'http://"><img src=x onerror=alert(1)>' })],
    nextCursor: 'CUR"SOR',
    filters: { status: 'wsus_unreachable', q: '"><script>', limit: 2 },
    defaultLimit: 50,
  }).value;
  t.false(/<script/i.test(out), 'no script element anywhere');
  t.false(out.includes('<img'), 'no injected element');
  t.true(out.includes(`>${ESCAPED}</a>`));
  t.true(out.includes(`data-hostname="${ESCAPED}"`));
  t.true(out.includes('href="/machines/a%22b"'), 'ids are URL-encoded in links');
  t.true(out.includes('value="&quot;&gt;&lt;script&gt;"'), 'the search box echoes the query escaped');
  t.true(out.includes('<option value="wsus_unreachable" selected>'), 'the status filter is kept');
  t.regex(out, /href="\/machines\?status=wsus_unreachable&amp;q=%22%3E%3Cscript%3E&amp;limit=2&amp;cursor=CUR%22SOR"/);
  t.true(out.includes('<title>Machines: WSUS unreachable · wuwatch</title>'));
});

function detail(over: Partial<MachineDetail> = {}): MachineDetail {
  return {
    id: 'm1',
    hostname: 'srv-503',
    status: 'wsus_unreachable',
    status_changed_at: NOW,
    status_reasons: [
      {
        code: 'DETECTION_FAILING',
        status: 'wsus_unreachable',
        message: 'Detection has failed 3 times in a row.',
        evidence: {
          hresult: '0x80244022',
          hresultName: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
          url: 'http://wsus01:8530',
        },
      },
    ],
    os_version: 'Windows Server 2008 R2',
    agent_version: 'test',
    mode: 'simulate',
    connected: true,
    first_seen: NOW,
    last_seen: NOW,
    wsus_url: 'http://wsus01:8530',
    policy: {
      windowsUpdate: { WUServer: 'http://wsus01:8530', WUStatusServer: 'http://wsus01:8530' },
      au: { UseWUServer: 1 },
    },
    policy_assessment: {
      source: 'wsus',
      wsusUrl: 'http://wsus01:8530',
      detectionIntervalHours: 22,
      problems: [{ code: 'HTTP_NOT_HTTPS', severity: 'warning', message: 'WSUS over http.' }],
    },
    last_probe: {
      url: 'http://wsus01:8530',
      class: 'http_status',
      ok: false,
      httpStatus: 503,
      failedStep: 'http',
      hresult: '0x801901F7',
      message: null,
      steps: [
        { step: 'dns', ms: 1, ok: true },
        { step: 'tcp', ms: 2, ok: true },
        { step: 'http', ms: 40, ok: false },
      ],
    },
    last_probe_at: NOW,
    probe_failing_since: NOW,
    last_detection_at: NOW,
    last_detection_outcome: 'failed',
    last_detection_hresult: '0x80244022',
    consecutive_detection_failures: 3,
    last_success_detection_at: null,
    recentEvents: [
      {
        seq: 2,
        time: NOW,
        kind: 'policy',
        data: { policy: { windowsUpdate: { WUServer: HOSTILE }, au: { UseWUServer: 1 } } },
      },
      { seq: 1, time: NOW, kind: 'settings', data: { note: HOSTILE } },
    ],
    timeline: [{ day: '2026-11-25', succeeded: 1, failed: 3, hresults: ['0x80244022'] }],
    ...over,
  };
}

test('the machine page explains the last error with the catalogue and the fix, and shows policy, probe, timeline', (t) => {
  const out = machinePage({ now: NOW, machine: detail(), alerts: [], days: 7 }).value;
  const d = describeHresult('0x80244022');
  t.true(out.includes('WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL'));
  t.true(out.includes(escapeHtml(d.description)));
  t.true(out.includes(escapeHtml(formatDescription(d))), 'the plain-text explanation for a ticket');
  t.true(out.includes('<li>' + escapeHtml('See which server it points at:')), 'the numbered fix steps are a list');
  t.true(out.includes('<article class="explain panel" data-code="0x80244022">'), 'the last error, open');
  t.true(out.includes('<details class="explain panel" data-code="0x801901F7">'), 'the probe code too, collapsed');
  t.regex(out, /<dt>WUServer<\/dt><dd data-value="WUServer"><code>http:\/\/wsus01:8530<\/code>/);
  t.regex(out, /<dt>UseWUServer<\/dt><dd data-value="UseWUServer"><code>1<\/code>/);
  t.true(out.includes('data-problem="HTTP_NOT_HTTPS"'));
  t.true(out.includes('data-step="http" data-ok="no"'));
  t.true(out.includes('data-day="2026-11-25" data-succeeded="1" data-failed="3"'));
  t.true(out.includes('Conditions on this machine that alert rules act on'), 'alerts fall back to the reasons');
  t.true(out.includes('data-reason="DETECTION_FAILING"'));
  t.false(/<script/i.test(out), 'event data is escaped');
  t.true(out.includes(escapeHtml(JSON.stringify({ note: HOSTILE }))));
  t.true(
    out.includes(escapeHtml(`WUServer=${JSON.stringify(HOSTILE)} WUStatusServer=null UseWUServer=1`)),
    'policy events in short',
  );
});

test('the machine page shows firing alerts from the hook when there are some, and nothing to explain when healthy', (t) => {
  const alerts = [
    {
      id: 'al1',
      rule: 'detect_failures',
      state: 'firing',
      severity: 'critical',
      title: HOSTILE,
      summary: 's',
      firingSince: NOW,
    },
  ];
  const out = machinePage({ now: NOW, machine: detail(), alerts, days: 7 }).value;
  t.true(out.includes('data-alert="al1"'));
  t.true(out.includes(ESCAPED));
  const healthy = detail({
    status: 'healthy',
    last_detection_outcome: 'succeeded',
    last_detection_hresult: null,
    last_probe: null,
    status_reasons: [{ code: 'HEALTHY', status: 'healthy', message: 'Last successful detection.' }],
  });
  t.deepEqual(codesToExplain(healthy), []);
  const h = machinePage({ now: NOW, machine: healthy, alerts: [], days: 7 }).value;
  t.true(h.includes('No error to explain'));
  t.true(h.includes('Nothing to alert on.'));
});

test('alertsFor is a placeholder hook that returns no alerts', async (t) => {
  t.deepEqual(await alertsFor('any-machine'), []);
});

test('remedyHtml turns numbered lines into a list and other lines into paragraphs', (t) => {
  t.is(
    remedyHtml('First <do> this.\n1. one\n2. two & three\nAfterwards.').value,
    '<p>First &lt;do&gt; this.</p><ol><li>one</li><li>two &amp; three</li></ol><p>Afterwards.</p>',
  );
  t.regex(explainCode('not-a-code', 'x').value, /is not a valid HRESULT/);
});

test('the WSUS page highlights orphan pointers and links each server to its machines', (t) => {
  const servers = buildWsusView([
    {
      url: 'http://dead:8530',
      machines: 1,
      reachable: 0,
      unreachable: 1,
      failing: 0,
      lastAnswerAt: null,
      lastProbeAt: NOW,
      sampleHostname: HOSTILE,
    },
    {
      url: 'http://ok:8530',
      machines: 4,
      reachable: 4,
      unreachable: 0,
      failing: 0,
      lastAnswerAt: NOW,
      lastProbeAt: NOW,
      sampleHostname: 'a',
    },
  ]);
  const out = wsusPage({ now: NOW, servers }).value;
  t.regex(out, /<tr data-url="http:\/\/dead:8530" class="orphan">/);
  t.true(out.includes('<span class="badge orphan">orphan pointer</span>'));
  t.regex(out, /<tr data-url="http:\/\/ok:8530">/);
  t.true(out.includes('href="/machines?wsus=http%3A%2F%2Fdead%3A8530"'));
  t.false(/<script/i.test(out), 'the note quotes the hostname escaped');
  t.true(out.includes('1 orphan pointer</strong>'));
});

test('the fleet page has one card per status linking to the filtered list, with the counts given', (t) => {
  const byStatus = { healthy: 3, wsus_unreachable: 2, misconfigured: 1 };
  const out = summaryPage({ now: NOW, total: 6, byStatus, history: [], sampleSeconds: 30, wsus: [] }).value;
  t.regex(out, /data-status="total" href="\/machines"><span class="count">6<\/span>/);
  t.regex(
    out,
    /data-status="wsus_unreachable" href="\/machines\?status=wsus_unreachable"><span class="count">2<\/span>/,
  );
  t.regex(
    out,
    /class="card c-silent zero" data-status="silent" href="\/machines\?status=silent"><span class="count">0<\/span>/,
  );
  t.true(out.includes('No samples yet'));
  t.true(out.includes('<meta http-equiv="refresh" content="30">'));
});

test('axisTicks gives integer ticks from 0 to a round maximum', (t) => {
  t.deepEqual(axisTicks(0), [0, 1]);
  t.deepEqual(axisTicks(3), [0, 1, 2, 3]);
  t.deepEqual(axisTicks(6), [0, 2, 4, 6]);
  t.deepEqual(axisTicks(37), [0, 10, 20, 30, 40]);
  t.deepEqual(axisTicks(5000), [0, 2000, 4000, 6000]);
});

test('statusHistoryChart stacks one band per status that was ever non-zero, worst on top, scaled to the axis', (t) => {
  const at = (s: number) => new Date(NOW.getTime() + s * 1000);
  const points = [
    { at: at(0), byStatus: { healthy: 4, wsus_unreachable: 0, silent: 0 } },
    { at: at(30), byStatus: { healthy: 2, wsus_unreachable: 2, silent: 0 } },
    { at: at(60), byStatus: { healthy: 2, wsus_unreachable: 1, silent: 0 } },
  ];
  const svg = statusHistoryChart(points, 200, 100).value;
  t.true(svg.startsWith('<svg class="chart" viewBox="0 0 200 100"'));
  t.false(svg.includes('data-status="silent"'), 'always-zero statuses are left out');
  // left 44, right 16, top 12, bottom 30: x from 44 to 184; the top tick is 4, so y(4) = 12, y(2) = 41, y(0) = 70.
  t.true(svg.includes('points="44,12 114,41 184,41 184,70 114,70 44,70"'), 'healthy from 0 up to its count');
  t.true(svg.includes('points="44,12 114,12 184,26.5 184,41 114,41 44,12"'), 'unreachable stacked on healthy');
  t.true(svg.indexOf('data-status="healthy"') < svg.indexOf('data-status="wsus_unreachable"'), 'drawn bottom first');
  t.true(svg.includes('<title>WSUS unreachable: 1 now</title>'));
  t.true(svg.includes('>12:00:00 UTC</text>') && svg.includes('>12:01:00 UTC</text>'), 'seconds on a short span');
  const hour = statusHistoryChart([points[0]!, { at: at(3600), byStatus: { healthy: 1 } }]).value;
  t.true(hour.includes('>12:00 UTC</text>') && hour.includes('>13:00 UTC</text>'));
  const legend = statusLegend(points).value;
  t.true(legend.indexOf('WSUS unreachable') < legend.indexOf('Healthy'), 'legend lists the top band first');
  t.true(statusHistoryChart([]).value.includes('No samples yet'));
  t.true(
    statusHistoryChart([points[0]!], 200, 100).value.includes('points="44,12 184,12 184,70 44,70"'),
    'one sample spans the width',
  );
});

test('detectionTimelineChart stacks successes under failures per day and writes the error codes', (t) => {
  t.deepEqual(dayWindow(NOW, 3), ['2026-11-23', '2026-11-24', '2026-11-25']);
  const svg = detectionTimelineChart(
    [
      { day: '2026-11-23', succeeded: 2, failed: 0, hresults: [] },
      { day: '2026-11-25', succeeded: 1, failed: 3, hresults: ['0x80244022', '0x8024401C', '0x80072EE2'] },
      { day: '2026-10-01', succeeded: 9, failed: 9, hresults: ['0x80070005'] },
    ],
    NOW,
    3,
    300,
    200,
  ).value;
  t.is((svg.match(/<g class="day"/g) ?? []).length, 3, 'one group per day of the window, old days ignored');
  t.true(
    svg.includes(
      'data-day="2026-11-24" data-succeeded="0" data-failed="0"><title>2026-11-24: 0 succeeded, 0 failed</title></g>',
    ),
  );
  t.true(svg.includes('<title>2026-11-25: 1 succeeded, 3 failed (0x80244022, 0x8024401C, 0x80072EE2)</title>'));
  t.true(svg.includes('>0x80244022 0x8024401C …</text>'), 'two codes then an ellipsis above the bar');
  t.false(svg.includes('0x80070005'));
  // Plot: top 78, bottom 26 → base 174, 96 px for the top tick 4: 1 success = 24 px, 3 failures = 72 px.
  t.regex(
    svg,
    /<rect x="[\d.]+" y="150" width="[\d.]+" height="24" fill="#2e8540"\/><rect x="[\d.]+" y="78" width="[\d.]+" height="72" fill="#c62828"\/>/,
  );
});

test('probeStepsChart draws bars proportional to the step time, red for the failed step', (t) => {
  const svg = probeStepsChart([
    { step: 'dns', ms: 10, ok: true },
    { step: '<tcp>', ms: 40, ok: false },
  ]).value;
  t.true(svg.includes('data-step="dns" data-ok="yes"'));
  t.true(svg.includes('data-step="&lt;tcp&gt;" data-ok="no"'));
  // 520 wide, 64 left, 72 right → 384 px for 40 ms.
  t.regex(svg, /<rect x="64" y="7" width="96" height="16" fill="#2e8540"\/>/);
  t.regex(svg, /<rect x="64" y="31" width="384" height="16" fill="#c62828"\/>/);
  t.true(svg.includes('40 ms ✗'));
  t.regex(probeStepsChart([]).value, /no steps/);
});

test('SessionStore: random ids, idle and absolute expiry, least-recently-used eviction, delete', (t) => {
  const s = new SessionStore({ absoluteMs: 1000, idleMs: 300, max: 2 });
  const a = s.create('hash-a', 0);
  t.regex(a, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
  t.is(s.get(a, 200)?.tokenHash, 'hash-a');
  t.is(s.get(a, 450)?.tokenHash, 'hash-a', 'use refreshes the idle timer');
  t.is(s.get(a, 800), null, 'idle for more than 300 ms');
  const b = s.create('hash-b', 1000);
  t.is(s.get(b, 1290)?.tokenHash, 'hash-b');
  t.is(s.get(b, 1580)?.tokenHash, 'hash-b');
  t.is(s.get(b, 1870)?.tokenHash, 'hash-b');
  t.is(s.get(b, 2010), null, 'absolute lifetime of 1000 ms');
  const c = s.create('c', 3000);
  const d = s.create('d', 3001);
  s.get(c, 3002);
  s.create('e', 3003);
  t.is(s.size, 2);
  t.is(s.get(d, 3004), null, 'the least recently used session was dropped');
  t.truthy(s.get(c, 3004));
  s.delete(c);
  t.is(s.get(c, 3005), null);
  t.not(s.create('x'), s.create('x'), 'two logins never share an id');
});

test('the session cookie is HttpOnly, SameSite=Strict, Path=/, with its Max-Age (Secure over TLS)', (t) => {
  t.deepEqual(sessionCookieOptions(60, false), {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    maxAge: 60,
    secure: false,
  });
  t.true(sessionCookieOptions(60, true).secure);
});

test('safeNext only returns to local paths', (t) => {
  t.is(safeNext('/machines?status=silent'), '/machines?status=silent');
  for (const bad of [
    '//evil.example/',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '/login?next=/',
    '/a b',
    '/é',
    42,
    undefined,
  ]) {
    t.is(safeNext(bad), '/', String(bad));
  }
});
