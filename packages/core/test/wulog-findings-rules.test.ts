import { fileURLToPath } from 'node:url';
import test from 'ava';
import { findingsOf, lines, ofKind } from './helpers/wulog-fixtures.js';
import { httpStatusFromHresult, parseLog, type Finding } from '../src/wulog/index.js';

const own = (name: string) => fileURLToPath(new URL(`./fixtures/wulog/${name}`, import.meta.url));

const findings = findingsOf;

test('installs: REPORT EVENT verdicts with titles; the matching failure warning is not doubled', (t) => {
  const installs = ofKind(findings(own('legacy-unreachable.log')), 'install');
  t.deepEqual(installs, [
    {
      kind: 'install',
      line: 65,
      time: '2019-11-05T03:12:49.397',
      outcome: 'succeeded',
      hresult: null,
      title: '2019-11 Security Monthly Quality Rollup for Windows Server 2008 R2 for x64-based Systems (KB4525235)',
      kb: 'KB4525235',
      updateId: null,
      serviceId: null,
    },
    {
      kind: 'install',
      line: 66,
      time: '2019-11-05T03:12:49.397',
      outcome: 'failed',
      hresult: '0x80070643',
      title: 'Security Intelligence Update for Windows Defender Antivirus - KB2267602 (Version 1.305.1412.0)',
      kb: 'KB2267602',
      updateId: null,
      serviceId: null,
    },
  ]);
});

test('install failure warning without a verdict is reported, with the title of a one-update cycle', (t) => {
  const text = lines([
    '** START ** Agent: Installing updates [CallerId = AutomaticUpdates]',
    '  *   Title = Cumulative Update (KB5000001)',
    '  * WARNING: Failed to install update {8F9C2E41-77B1-4D4E-A4B8-2A6C7E4D9F10}.200, error = 0x80070643',
    '** END ** Agent: Installing updates [CallerId = AutomaticUpdates]',
    'Installation Successful: Windows successfully installed the following update: Definition Update (KB2267602)',
  ]);
  t.deepEqual(ofKind(parseLog(text).findings, 'install'), [
    {
      kind: 'install',
      line: 3,
      time: null,
      outcome: 'failed',
      hresult: '0x80070643',
      title: 'Cumulative Update (KB5000001)',
      kb: 'KB5000001',
      updateId: null,
      serviceId: null,
    },
    {
      kind: 'install',
      line: 5,
      time: null,
      outcome: 'succeeded',
      hresult: null,
      title: 'Definition Update (KB2267602)',
      kb: 'KB2267602',
      updateId: null,
      serviceId: null,
    },
  ]);
});

test('System-style Installation Failure line gives code and title', (t) => {
  const text =
    'Installation Failure: Windows failed to install the following update with error 0x80070002: Security Update for Windows (KB4586793).';
  t.deepEqual(parseLog(text).findings, [
    {
      kind: 'install',
      line: 1,
      time: null,
      outcome: 'failed',
      hresult: '0x80070002',
      title: 'Security Update for Windows (KB4586793)',
      kb: 'KB4586793',
      updateId: null,
      serviceId: null,
    },
  ]);
});

test('network_error rule: WinHttp retry lines that carry only a code are not findings', (t) => {
  const { findings: all } = parseLog(
    lines([
      'WARNING: WinHttp: SendRequestToServerForFileInformation failed with 0x801901f7',
      'WARNING: WinHttp: ShouldFileBeDownloaded failed with 0x801901f7',
    ]),
  );
  t.deepEqual(all, []);
});

test('network_error: URL in quotes or brackets loses them and trailing punctuation; 0x80244023 reads as 503', (t) => {
  const { findings: all } = parseLog(
    lines([
      'WS error: There was an error communicating with the endpoint at ‘http://wsus9:8530/ClientWebService/client.asmx’.',
      'x',
      'x',
      'x',
      'x',
      'x',
      'x',
      'WARNING: SendRequest failed with hr = 80244023.',
    ]),
  );
  t.deepEqual(all, [
    {
      kind: 'network_error',
      line: 1,
      time: null,
      hresult: null,
      url: 'http://wsus9:8530/ClientWebService/client.asmx',
      httpStatus: null,
    },
    { kind: 'network_error', line: 8, time: null, hresult: '0x80244023', url: null, httpStatus: 503 },
  ]);
});

test('every finding has exactly the contract keys, in the contract order', (t) => {
  const order: Record<Finding['kind'], string[]> = {
    detection: [
      'kind',
      'line',
      'start',
      'end',
      'caller',
      'managed',
      'serverUrl',
      'outcome',
      'hresult',
      'updatesFound',
      'serviceId',
      'serviceName',
    ],
    settings: ['kind', 'line', 'time', 'wsusServer', 'statusServer', 'targetGroup', 'accessDisabled'],
    network_error: ['kind', 'line', 'time', 'hresult', 'url', 'httpStatus'],
    install: ['kind', 'line', 'time', 'outcome', 'hresult', 'title', 'kb', 'updateId', 'serviceId'],
  };
  const seen = new Set<string>();
  for (const file of [
    own('legacy-unreachable.log'),
    own('modern-slash-8024401c.log'),
    own('legacy-dead-wsus-80244022.log'),
  ]) {
    for (const f of findings(file)) {
      t.deepEqual(Object.keys(f), order[f.kind], `${f.kind} at ${f.line}`);
      seen.add(f.kind);
    }
  }
  t.is(seen.size, 4);
});

test('HTTP status from codes: BITS arithmetic and the WU_E_PT_HTTP_STATUS_* lookup', (t) => {
  const table: [string, number | null][] = [
    ['0x801901F7', 503],
    ['0x80190194', 404],
    ['0x80244016', 400],
    ['0x80244017', 401],
    ['0x80244018', 403],
    ['0x80244019', 404],
    ['0x8024401A', 405],
    ['0x8024401B', 407],
    ['0x8024401C', 408],
    ['0x8024401D', 409],
    ['0x8024401E', 410],
    ['0x8024401F', 500],
    ['0x80244020', 501],
    ['0x80244021', 502],
    ['0x80244022', 503],
    ['0x80244023', 503],
    ['0x80244024', 505],
    ['0x8024402C', null],
    ['0x80072EE2', null],
  ];
  for (const [code, status] of table) t.is(httpStatusFromHresult(code), status, code);
  t.is(httpStatusFromHresult(null), null);
});
