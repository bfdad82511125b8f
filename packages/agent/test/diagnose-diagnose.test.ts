import test from 'ava';
import { parsePolicy, parseWevtutilXml, eventsToFindings } from '@wuwatch/core';
import type { EventDetectionFinding, ProbeData, UpdatePolicy, WuaData } from '@wuwatch/core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DiagnosisSchema, diagnose, formatDiagnosis, formatDiagnosisJson } from '../src/diagnose/index.js';
import type { DiagnoseDetection, DiagnoseInput, Diagnosis, PlainDetection } from '../src/diagnose/index.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./fixtures/diagnose/${name}`, import.meta.url)), 'utf8');

const policy = (name: string): UpdatePolicy => parsePolicy(fixture(name));
const GP = "'Specify intranet Microsoft update service location'";
const NOT_CONFIGURED =
  `set the policy ${GP} to Not Configured in the GPO that sets it (GPMC or gpedit.msc), run gpupdate /force and ` +
  'restart the wuauserv service so this machine uses Microsoft Update.';

function probe(url: string, over: Partial<ProbeData>): ProbeData {
  return {
    url,
    class: 'ok',
    ok: true,
    httpStatus: 200,
    failedStep: null,
    hresult: null,
    message: null,
    steps: [],
    ...over,
  };
}

function failures(n: number, firstDay: string, hresult: string, source: 'log' | 'event' = 'log'): PlainDetection[] {
  const start = Date.parse(`${firstDay}T10:00:00Z`);
  return Array.from({ length: n }, (_, i) => ({
    time: new Date(start + i * 86_400_000).toISOString().replace(/Z$/, source === 'log' ? '' : 'Z'),
    outcome: 'failed',
    hresult,
    source,
  }));
}

const OLD = 'http://wsus-old.corp.example:8530';
const NEW = 'https://wsus01.corp.example:8531';
const eventDetections = (): EventDetectionFinding[] =>
  eventsToFindings(parseWevtutilXml(fixture('operational-ok.xml'))).filter(
    (f): f is EventDetectionFinding => f.kind === 'detection',
  );

interface Case {
  name: string;
  input: DiagnoseInput;
  verdict: Diagnosis['verdict'];
  exitCode: 0 | 1 | 2;
  headline: string;
  /** Sentences the text must contain, verbatim. */
  sentences: string[];
  /** Finding codes, problems first, in order. */
  codes: string[];
}

const base = (over: Partial<DiagnoseInput>): DiagnoseInput => ({
  policy: policy('wsus-https.txt'),
  probe: null,
  detections: [],
  wua: null,
  now: '2024-03-07T12:00:00Z',
  ...over,
});

const CASES: Case[] = [
  {
    name: 'the field report: WSUS answers 503 and detection has failed for 12 days',
    input: base({
      policy: policy('wsus-old-http.txt'),
      probe: probe(OLD, {
        class: 'http_status',
        ok: false,
        httpStatus: 503,
        failedStep: 'http',
        hresult: '0x801901F7',
        message: `GET ${OLD}/selfupdate/wuident.cab: HTTP 503, the WSUS application pool (WsusPool) is probably stopped or overloaded`,
      }),
      detections: failures(12, '2014-05-02', '0x80244022'),
      now: '2014-05-14T12:00:00Z',
    }),
    verdict: 'problem',
    exitCode: 1,
    headline: `WSUS server ${OLD} is unreachable from this machine (HTTP 503)`,
    sentences: [
      `Windows Update is managed by WSUS at ${OLD} (Group Policy ${GP} = Enabled).`,
      'That server answers HTTP 503 when probed from this machine (GET /selfupdate/wuident.cab, 0x801901F7).',
      'Detection has failed 12 times since 2014-05-02 with 0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL: Same as HTTP status 503: ',
      'No successful detection is recorded.',
      'To fix: restore the server (on wsus-old.corp.example, start the WsusPool application pool in IIS and the WSUS ' +
        `Service), or ${NOT_CONFIGURED}`,
    ],
    codes: ['WSUS_UNREACHABLE', 'DETECTION_FAILING', 'UPDATE_SOURCE', 'HTTP_NOT_HTTPS'],
  },
  {
    name: 'healthy WSUS: the probe answers and the last event 26 is recent',
    input: base({ probe: probe(NEW, {}), detections: eventDetections() }),
    verdict: 'healthy',
    exitCode: 0,
    headline: `Windows Update is healthy: WSUS server ${NEW} answers, last detection succeeded on 2024-03-07 05:31 UTC`,
    sentences: [
      `Windows Update is managed by WSUS at ${NEW} (Group Policy ${GP} = Enabled).`,
      'That server answers when probed from this machine (GET /selfupdate/wuident.cab, HTTP 200).',
      'The last detection succeeded on 2024-03-07 05:31 UTC.',
    ],
    codes: ['UPDATE_SOURCE', 'WSUS_REACHABLE', 'DETECTION_OK'],
  },
  {
    name: 'healthy Microsoft Update: no policy, WUA searched yesterday',
    input: base({
      policy: policy('no-policy.txt'),
      wua: { lastSearchSuccessDate: '2024-03-06T21:04:00.000Z', lastInstallationSuccessDate: null },
    }),
    verdict: 'healthy',
    exitCode: 0,
    headline: 'Windows Update is healthy: Microsoft Update, last detection succeeded on 2024-03-06 21:04 UTC',
    sentences: [
      'Windows Update gets updates from Microsoft Update; no WSUS server is set by Group Policy.',
      'The last detection succeeded on 2024-03-06 21:04 UTC.',
    ],
    codes: ['UPDATE_SOURCE', 'DETECTION_OK'],
  },
  {
    name: 'WSUS refuses connections',
    input: base({
      probe: probe(NEW, { class: 'refused', ok: false, httpStatus: null, failedStep: 'tcp', hresult: '0x80072EFD' }),
      detections: failures(3, '2024-03-05', '0x80072EFD', 'event'),
    }),
    verdict: 'problem',
    exitCode: 1,
    headline: `WSUS server ${NEW} is unreachable from this machine (connection refused)`,
    sentences: [
      'That server refuses connections on port 8531 when probed from this machine (TCP connect, 0x80072EFD).',
      'Detection has failed 3 times since 2024-03-05 with 0x80072EFD (ERROR_WINHTTP_CANNOT_CONNECT: ',
      'To fix: restore the server (start IIS and the WSUS Service on wsus01.corp.example and check that port 8531 is ' +
        `open), or ${NOT_CONFIGURED}`,
    ],
    codes: ['WSUS_UNREACHABLE', 'DETECTION_FAILING', 'UPDATE_SOURCE'],
  },
  {
    name: 'WSUS times out',
    input: base({
      probe: probe(NEW, { class: 'timeout', ok: false, httpStatus: null, failedStep: 'tcp', hresult: '0x80072EE2' }),
    }),
    verdict: 'problem',
    exitCode: 1,
    headline: `WSUS server ${NEW} is unreachable from this machine (timed out)`,
    sentences: [
      'That server does not answer when probed from this machine (TCP connect timed out, 0x80072EE2).',
      'To fix: restore the server (check that wsus01.corp.example is running and that firewalls let port 8531 through)',
    ],
    codes: ['WSUS_UNREACHABLE', 'UPDATE_SOURCE', 'NO_DETECTION_HISTORY'],
  },
  {
    name: 'the WSUS name does not resolve',
    input: base({
      probe: probe(NEW, { class: 'dns', ok: false, httpStatus: null, failedStep: 'dns', hresult: '0x80072EE7' }),
    }),
    verdict: 'problem',
    exitCode: 1,
    headline: `WSUS server ${NEW} is unreachable from this machine (name does not resolve)`,
    sentences: [
      'The server name wsus01.corp.example does not resolve from this machine (DNS lookup, 0x80072EE7).',
      `To fix: restore the DNS name wsus01.corp.example or correct the URL in the policy, or ${NOT_CONFIGURED}`,
    ],
    codes: ['WSUS_UNREACHABLE', 'UPDATE_SOURCE', 'NO_DETECTION_HISTORY'],
  },
  {
    name: 'misconfigured: UseWUServer=1 without WUServer',
    input: base({ policy: policy('usewuserver-no-server.txt'), detections: failures(4, '2024-03-03', '0x80244011') }),
    verdict: 'problem',
    exitCode: 1,
    headline: 'Windows Update policy enables WSUS but names no server',
    sentences: [
      'Group Policy tells Windows Update to use a WSUS server (UseWUServer = 1) but names none (WUServer is empty). ' +
        'UseWUServer is 1 but WUServer is empty, so every scan fails with 0x80244011 (WU_E_PT_SUS_SERVER_NOT_SET).',
      'Detection has failed 4 times since 2024-03-03 with 0x80244011 (WU_E_PT_SUS_SERVER_NOT_SET: ',
    ],
    codes: ['USE_WUSERVER_WITHOUT_WUSERVER', 'DETECTION_FAILING', 'UPDATE_SOURCE'],
  },
  {
    name: 'WUServer set but ignored',
    input: base({ policy: policy('wuserver-ignored.txt'), detections: eventDetections() }),
    verdict: 'problem',
    exitCode: 1,
    headline: `WUServer ${OLD} is set but ignored (UseWUServer is not 1)`,
    sentences: [
      `Windows Update gets updates from Microsoft Update: WUServer is set to ${OLD} but UseWUServer is 0, so that ` +
        'server is ignored.',
      `WUServer is ${OLD} but UseWUServer is 0, so Windows Update ignores it`,
      'The last detection succeeded on 2024-03-07 05:31 UTC.',
    ],
    codes: ['WUSERVER_IGNORED', 'UPDATE_SOURCE', 'DETECTION_OK'],
  },
  {
    name: 'stale: the server answers but nothing succeeded for 9 days',
    input: base({ probe: probe(NEW, {}), detections: eventDetections(), now: '2024-03-16T12:00:00Z' }),
    verdict: 'problem',
    exitCode: 1,
    headline: 'No successful Windows Update detection for 9 days',
    sentences: [
      'No detection has succeeded for 9 days (last success 2024-03-07 05:31 UTC); Windows Update should scan every ' +
        '22 hours.',
      'To fix: check that the Windows Update service (wuauserv) is not disabled (0x80070422)',
    ],
    codes: ['DETECTION_STALE', 'UPDATE_SOURCE', 'WSUS_REACHABLE', 'DETECTION_OK'],
  },
  {
    name: 'unknown: the policy could not be read',
    input: base({ policy: null, policyError: 'reg.exe query failed: Access is denied' }),
    verdict: 'unknown',
    exitCode: 2,
    headline: 'Could not read the Windows Update policy',
    sentences: [
      'wuwatch could not read the Windows Update policy of this machine (reg.exe query failed: Access is denied), so ' +
        'it cannot tell where updates should come from.',
    ],
    codes: ['POLICY_UNREADABLE'],
  },
  {
    name: 'unknown: nothing to judge by',
    input: base({ policy: policy('no-policy.txt') }),
    verdict: 'unknown',
    exitCode: 2,
    headline: 'Not enough information to judge Windows Update on this machine',
    sentences: ['No detection history is available, so wuwatch cannot tell whether updates work.'],
    codes: ['UPDATE_SOURCE', 'NO_DETECTION_HISTORY'],
  },
  {
    name: 'one failure after a recent success is a note, not a problem',
    input: base({
      probe: probe(NEW, {}),
      detections: [
        ...eventDetections(),
        { time: '2024-03-07T11:00:00Z', outcome: 'failed', hresult: '8024401c', source: 'event' },
      ],
    }),
    verdict: 'healthy',
    exitCode: 0,
    headline: `Windows Update is healthy: WSUS server ${NEW} answers, last detection succeeded on 2024-03-07 05:31 UTC`,
    sentences: [
      'The last detection failed on 2024-03-07 11:00 UTC with 0x8024401C (WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT: ',
      'The last successful detection was on 2024-03-07 05:31 UTC.',
    ],
    codes: ['UPDATE_SOURCE', 'WSUS_REACHABLE', 'DETECTION_FAILED_ONCE'],
  },
  {
    name: 'the WSUS vdir is missing (HTTP 404) and the proxy is not to blame',
    input: base({
      probe: probe(NEW, {
        class: 'http_status',
        ok: false,
        httpStatus: 404,
        failedStep: 'http',
        hresult: '0x80190194',
      }),
    }),
    verdict: 'problem',
    exitCode: 1,
    headline: `WSUS server ${NEW} answers with an error (HTTP 404)`,
    sentences: [
      'That server answers HTTP 404 when probed from this machine (GET /selfupdate/wuident.cab, 0x80190194).',
      'To fix: correct the server or URL (HTTP 404 means a wrong port or virtual directory, or no WSUS on ' +
        'wsus01.corp.example)',
    ],
    codes: ['WSUS_SERVER_ERROR', 'UPDATE_SOURCE', 'NO_DETECTION_HISTORY'],
  },
  {
    name: 'the WinHTTP proxy wants credentials',
    input: base({
      probe: probe(NEW, { class: 'proxy_auth', ok: false, httpStatus: 407, failedStep: 'http', hresult: '0x80190197' }),
    }),
    verdict: 'problem',
    exitCode: 1,
    headline: `The WinHTTP proxy keeps this machine from WSUS server ${NEW} (proxy wants credentials (HTTP 407))`,
    sentences: [
      'The WinHTTP proxy demands credentials when this machine probes that server (HTTP 407, 0x80190197).',
      'To fix: add wsus01.corp.example to the WinHTTP bypass list (netsh winhttp set proxy) or let the proxy accept ' +
        'this machine.',
    ],
    codes: ['WSUS_PROXY_AUTH', 'UPDATE_SOURCE', 'NO_DETECTION_HISTORY'],
  },
];

for (const c of CASES) {
  test(`diagnose: ${c.name}`, (t) => {
    const d = diagnose(c.input);
    t.is(d.verdict, c.verdict);
    t.is(d.exitCode, c.exitCode);
    t.is(d.headline, c.headline);
    for (const s of c.sentences) t.true(d.text.includes(s), `missing: ${s}\n--- text:\n${d.text}`);
    t.deepEqual(
      d.findings.map((f) => f.code),
      c.codes,
    );
    const k = d.findings.filter((f) => f.severity === 'problem').length;
    t.true(
      d.findings.slice(0, k).every((f) => f.severity === 'problem'),
      'problems come first',
    );
    t.is(k > 0, d.verdict === 'problem' || c.codes[0] === 'POLICY_UNREADABLE');
    t.deepEqual(DiagnosisSchema.parse(JSON.parse(formatDiagnosisJson(d))), d, 'JSON output round-trips the schema');
  });
}

test('log and event copies of the same attempts are not added up: the longer run speaks', (t) => {
  const detections: DiagnoseDetection[] = [
    ...failures(3, '2024-03-04', '0x80244022', 'log'),
    ...failures(2, '2024-03-05', '0x80244022', 'event'),
  ];
  const d = diagnose(base({ detections }));
  t.true(d.text.includes('Detection has failed 3 times since 2024-03-04 with 0x80244022'));
  const failing = d.findings.find((f) => f.code === 'DETECTION_FAILING');
  t.is(failing?.evidence['count'], 3);
  t.is(failing?.evidence['source'], 'log');
});

test('mixed codes name the most frequent one', (t) => {
  const detections = [...failures(1, '2024-03-03', '0x8024402C'), ...failures(2, '2024-03-04', '0x80244022')];
  const d = diagnose(base({ detections }));
  t.true(
    d.text.includes(
      'Detection has failed 3 times since 2024-03-03, most often with 0x80244022 (WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL',
    ),
  );
});

test('log findings (start/end local time) are accepted as they come from the parser', (t) => {
  const logFinding = (
    line: number,
    end: string,
    outcome: 'succeeded' | 'failed',
    hresult: string | null,
  ): DiagnoseDetection => ({
    kind: 'detection',
    line,
    start: end,
    end,
    caller: 'AutomaticUpdates',
    managed: true,
    serverUrl: null,
    serviceId: null,
    serviceName: null,
    outcome,
    hresult,
    updatesFound: null,
  });
  const d = diagnose(
    base({
      detections: [
        logFinding(10, '2014-05-01T09:00:00.000', 'succeeded', null),
        logFinding(20, '2014-05-02T09:00:00.000', 'failed', '0x80244022'),
        logFinding(30, '2014-05-03T09:00:00.000', 'failed', '0x80244022'),
      ],
      now: '2014-05-03T12:00:00',
    }),
  );
  t.true(d.text.includes('Detection has failed 2 times since 2014-05-02 with 0x80244022'));
  t.true(d.text.includes('The last successful detection was on 2014-05-01 09:00.'));
});

test('formatDiagnosis shows the verdict, the text and every finding with its evidence', (t) => {
  const d = diagnose(CASES[0]!.input);
  const out = formatDiagnosis(d);
  const lines = out.split('\n');
  t.is(lines[0], `PROBLEM: WSUS server ${OLD} is unreachable from this machine (HTTP 503)`);
  t.is(lines[2], d.text);
  t.is(lines[4], 'Findings:');
  t.regex(out, /! WSUS_UNREACHABLE +That server answers HTTP 503/);
  t.regex(
    out,
    /evidence: url=http:\/\/wsus-old\.corp\.example:8530, class=http_status, httpStatus=503, hresult=0x801901F7/,
  );
  t.regex(out, /- HTTP_NOT_HTTPS +WUServer http:\/\/wsus-old/);
});

test('the WUA date counts as a success even without events', (t) => {
  const wua: WuaData = { lastSearchSuccessDate: '2024-02-20T00:00:00.000Z', lastInstallationSuccessDate: null };
  const d = diagnose(base({ probe: probe(NEW, {}), wua }));
  t.is(d.verdict, 'problem');
  t.is(d.headline, 'No successful Windows Update detection for 16 days');
  t.is(d.findings.find((f) => f.code === 'DETECTION_STALE')?.evidence['source'], 'wua');
});
