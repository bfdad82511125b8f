import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { findingsOf, lines, ofKind } from './helpers/wulog-fixtures.js';
import { parseLog } from '../src/wulog/index.js';

const shared = (name: string) => fileURLToPath(new URL(`./fixtures/shared/wulog/${name}`, import.meta.url));
const own = (name: string) => fileURLToPath(new URL(`./fixtures/wulog/${name}`, import.meta.url));

const findings = findingsOf;

test('legacy-win7: settings without WSUS and a succeeded third-party search', (t) => {
  const all = findings(shared('real/legacy-win7.log'));
  t.deepEqual(all, [
    {
      kind: 'settings',
      line: 18,
      time: '2021-08-28T11:05:53.800',
      wsusServer: null,
      statusServer: null,
      targetGroup: '(Unassigned Computers)',
      accessDisabled: false,
    },
    {
      kind: 'detection',
      line: 61,
      start: '2021-08-29T14:00:23.101',
      end: '2021-08-29T14:00:26.072',
      caller: '',
      managed: false,
      serverUrl: null,
      outcome: 'succeeded',
      hresult: null,
      updatesFound: 0,
      serviceId: '00000000-0000-0000-0000-000000000000',
      serviceName: 'Default service (as configured)',
    },
  ]);
});

test('legacy-win7: a timestamp that goes backwards stays in line order', (t) => {
  const { records } = parseLog(readFileSync(shared('real/legacy-win7.log')));
  const back = records.findIndex((r) => r.time === '2021-08-29T14:00:22.585');
  t.true(back > 0);
  t.is(records[back]!.line, back + 1);
  t.true(records[back - 1]!.time! > records[back]!.time!);
  t.deepEqual(
    records.map((r) => r.line),
    records.map((_, i) => i + 1),
  );
});

test('modern-server2019: WSUS settings, then the (Changed) block with nulls, then the restart block', (t) => {
  const settings = ofKind(findings(shared('real/modern-server2019-wsus.log')), 'settings');
  t.deepEqual(
    settings.map((s) => [s.line, s.wsusServer, s.statusServer, s.targetGroup, s.accessDisabled]),
    [
      [
        20,
        'https://SCCM01D.firm.saulewing.net:8531',
        'https://SCCM01D.firm.saulewing.net:8531',
        '(Unassigned Computers)',
        false,
      ],
      [81, null, null, '(Unassigned Computers)', false],
      [123, null, null, '(Unassigned Computers)', false],
    ],
  );
  t.is(settings[1]!.time, '2021-07-13T10:31:32.4838822');
});

test('field report (pasted): failed managed detection, the BITS 503 with its URL, the GetConfig 503', (t) => {
  const all = findings(shared('pasted/field-report-80244022.log'));
  t.deepEqual(ofKind(all, 'detection'), [
    {
      kind: 'detection',
      line: 2,
      start: null,
      end: null,
      caller: 'AutomaticUpdates',
      managed: true,
      serverUrl: null,
      outcome: 'failed',
      hresult: '0x80244022',
      updatesFound: null,
      serviceId: null, // the reporter masked the GUID; `Managed` still names the service
      serviceName: 'WSUS / Configuration Manager',
    },
  ]);
  t.deepEqual(ofKind(all, 'network_error'), [
    {
      kind: 'network_error',
      line: 20,
      time: null,
      hresult: '0x801901F7',
      url: 'http://YY.YY.YY.YY/selfupdate/wuident.cab',
      httpStatus: 503,
    },
    { kind: 'network_error', line: 44, time: null, hresult: '0x80244022', url: null, httpStatus: 503 },
  ]);
  t.is(all.length, 3, 'the REPORT EVENT confirms the detection instead of adding one');
});

test('full-column field report: settings point at the dead server, both cycles fail with 0x80244022', (t) => {
  const all = findings(own('legacy-dead-wsus-80244022.log'));
  const [settings, ...more] = ofKind(all, 'settings');
  t.is(more.length, 0, "AU's `# WSUS server:` echo is not a settings block");
  t.like(settings, {
    line: 13,
    wsusServer: 'http://wsus-old.corp.example:8530',
    targetGroup: '(Unassigned Computers)',
  });
  const detections = ofKind(all, 'detection');
  t.deepEqual(
    detections.map((d) => [d.line, d.caller, d.managed, d.outcome, d.hresult, d.serverUrl]),
    [
      [29, 'AutomaticUpdates', true, 'failed', '0x80244022', null],
      [
        67,
        'AutomaticUpdates',
        true,
        'failed',
        '0x80244022',
        'http://wsus-old.corp.example:8530/ClientWebService/client.asmx',
      ],
    ],
  );
  t.is(detections[0]!.start, '2014-05-14T03:12:51.953');
  t.is(detections[0]!.end, '2014-05-14T03:12:52.156');
  t.deepEqual(
    ofKind(all, 'network_error').map((n) => [n.line, n.hresult, n.url, n.httpStatus]),
    [
      [42, '0x801901F7', 'http://wsus-old.corp.example:8530/selfupdate/wuident.cab', 503],
      [76, '0x80244022', null, 503],
    ],
  );
});

test('unreachable server: 0x8024402C and 0x80072EE2 cycles, merged SendRequest/WinHttp lines, then success', (t) => {
  const all = findings(own('legacy-unreachable.log'));
  t.deepEqual(
    ofKind(all, 'detection').map((d) => [d.line, d.outcome, d.hresult, d.updatesFound, d.serverUrl]),
    [
      [8, 'failed', '0x8024402C', null, null],
      // The first Server URL of the cycle, not the SimpleAuth one logged after it.
      [31, 'failed', '0x80072EE2', null, 'http://wsus02.corp.example:8530/ClientWebService/client.asmx'],
      [50, 'succeeded', null, 2, 'http://wsus02.corp.example:8530/ClientWebService/client.asmx'],
    ],
  );
  t.deepEqual(ofKind(all, 'network_error'), [
    {
      kind: 'network_error',
      line: 15,
      time: '2019-11-04T02:00:07.437',
      hresult: '0x8024402C',
      url: 'http://wsus02.corp.example:8530/selfupdate/wuident.cab',
      httpStatus: null,
    },
    {
      kind: 'network_error',
      line: 39,
      time: '2019-11-04T06:01:05.640',
      hresult: '0x80072EE2',
      url: 'http://wsus02.corp.example:8530/ClientWebService/client.asmx',
      httpStatus: null,
    },
  ]);
});

test('modern `/` log: failed cycle with Exit code 0x8024401C, WS error + Web service call merged into one 408', (t) => {
  const all = findings(own('modern-slash-8024401c.log'));
  t.deepEqual(ofKind(all, 'detection'), [
    {
      kind: 'detection',
      line: 9,
      start: '2024-03-05T08:01:12.5541907',
      end: '2024-03-05T08:01:43.7592901',
      caller: 'UpdateOrchestrator',
      managed: true,
      serverUrl: 'http://wsus01.corp.example:8530/ClientWebService/client.asmx',
      outcome: 'failed',
      hresult: '0x8024401C',
      updatesFound: null,
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
      serviceName: 'WSUS / Configuration Manager',
    },
  ]);
  t.deepEqual(ofKind(all, 'network_error'), [
    {
      kind: 'network_error',
      line: 19,
      time: '2024-03-05T08:01:43.7591911',
      hresult: '0x8024401C',
      url: 'http://wsus01.corp.example:8530/ClientWebService/client.asmx',
      httpStatus: 408,
    },
  ]);
  t.like(ofKind(all, 'settings')[0], {
    line: 2,
    wsusServer: 'http://wsus01.corp.example:8530',
    targetGroup: 'Servers-Prod',
  });
});

test('modern `-` log: Exit code 0x00000000 is success; *QUEUED* is not a cycle', (t) => {
  t.deepEqual(findings(own('modern-dash-success.log')), [
    {
      kind: 'detection',
      line: 3,
      start: '2023-10-17T03:11:06.0130102',
      end: '2023-10-17T03:11:19.3013419',
      caller: 'Update;ScanForUpdates',
      managed: false,
      serverUrl: 'https://fe2cr.update.microsoft.com/v6/ClientWebService/client.asmx',
      outcome: 'succeeded',
      hresult: null,
      updatesFound: 5,
      serviceId: '7971F918-A847-4430-9279-4A52D1EFE18D',
      serviceName: 'Microsoft Update',
    },
  ]);
});

test('modern `.` log: interleaved cycles pair by Id, exit code on its own line, unfinished at end', (t) => {
  t.deepEqual(
    ofKind(findings(own('modern-dot-older-build.log')), 'detection').map((d) => [
      d.line,
      d.caller,
      d.managed,
      d.outcome,
      d.hresult,
      d.updatesFound,
      d.end,
    ]),
    [
      [1, 'Update;taskhostw', false, 'failed', '0x80070426', null, '2019-01-08T14:20:01.3000300'],
      [3, 'UpdateOrchestrator', false, 'succeeded', null, 0, '2019-01-08T14:20:09.2000000'],
      [11, 'OOBE ZDP', null, 'unfinished', null, null, null],
    ],
  );
});

test('CRLF + BOM legacy file: (Changed) suffix stripped, <NULL> → null, access disabled Yes → true', (t) => {
  t.deepEqual(findings(own('legacy-crlf-bom.log')), [
    {
      kind: 'settings',
      line: 2,
      time: '2021-03-02T09:00:00.001',
      wsusServer: 'http://wsus03.corp.example:8530',
      statusServer: 'http://wsus03.corp.example:8530',
      targetGroup: null,
      accessDisabled: true,
    },
    {
      kind: 'detection',
      line: 7,
      start: '2021-03-02T09:00:05.100',
      end: '2021-03-02T09:00:06.200',
      caller: 'WindowsUpdate',
      managed: true,
      serverUrl: null,
      outcome: 'succeeded',
      hresult: null,
      updatesFound: 1,
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
      serviceName: 'WSUS / Configuration Manager',
    },
  ]);
});

test('pasted legacy with TABs turned into spaces gives the same findings as the original lines', (t) => {
  const all = findings(own('pasted-spaces.log'));
  t.like(ofKind(all, 'settings')[0], {
    line: 3,
    wsusServer: 'http://wsus-old.corp.example:8530',
    accessDisabled: false,
  });
  t.like(ofKind(all, 'detection')[0], { line: 19, managed: true, outcome: 'failed', hresult: '0x80244022' });
  t.like(ofKind(all, 'network_error')[0], { line: 32, hresult: '0x801901F7', httpStatus: 503 });
});

test('a REPORT EVENT with no cycle in the text becomes a detection; one after its cycle does not', (t) => {
  const report = (n: number, hr: string, verdict: string, message: string) =>
    `REPORT EVENT: {E${n}} 2014-05-14 03:12:52:156+0900 1 ${verdict === 'Success' ? 147 : 148} 101 {U} 1 ${hr} AutomaticUpdates ${verdict} Software Synchronization ${message}`;
  const orphan = parseLog(lines([report(1, '0', 'Success', 'Windows Update Client successfully detected 3 updates.')]));
  t.deepEqual(orphan.findings, [
    {
      kind: 'detection',
      line: 1,
      start: null,
      end: null,
      caller: 'AutomaticUpdates',
      managed: null,
      serverUrl: null,
      outcome: 'succeeded',
      hresult: null,
      updatesFound: 3,
      serviceId: null,
      serviceName: null,
    },
  ]);
  const confirmed = parseLog(
    lines([
      '** START ** Agent: Finding updates [CallerId = AutomaticUpdates]',
      '* WARNING: Exit code = 0x8024402C',
      '** END ** Agent: Finding updates [CallerId = AutomaticUpdates]',
      report(2, '8024402c', 'Failure', 'Windows Update Client failed to detect with error 0x8024402c.'),
    ]),
  );
  t.deepEqual(
    confirmed.findings.map((f) => f.kind),
    ['detection'],
  );
});

test('legacy cycles of different threads interleave; lines go to the cycle of their thread', (t) => {
  const row = (tid: string, text: string) => `2020-01-01\t10:00:00:000\t 900\t${tid}\tAgent\t${text}`;
  const { findings: all } = parseLog(
    lines([
      row('a1', '** START **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
      row('b2', '** START **  Agent: Finding updates [CallerId = MicrosoftUpdate]'),
      row('a1', '  * ServiceID = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7} Managed'),
      row('b2', '  * ServiceID = {7971F918-A847-4430-9279-4A52D1EFE18D} Third party service'),
      row(
        'b2',
        '  * Found 4 updates and 10 categories in search; evaluated appl. rules of 1 out of 2 deployed entities',
      ),
      row('a1', '  * WARNING: Exit code = 0x80244022'),
      row('b2', '**  END  **  Agent: Finding updates [CallerId = MicrosoftUpdate]'),
      row('a1', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
    ]),
  );
  t.deepEqual(
    ofKind(all, 'detection').map((d) => [d.caller, d.managed, d.outcome, d.hresult, d.updatesFound]),
    [
      ['AutomaticUpdates', true, 'failed', '0x80244022', null],
      ['MicrosoftUpdate', false, 'succeeded', null, 4],
    ],
  );
});

test('a START without END on the same thread closes the previous cycle as unfinished', (t) => {
  const { findings: all } = parseLog(
    lines(['** START ** Agent: Finding updates [CallerId = A]', '** START ** Agent: Finding updates [CallerId = B]']),
  );
  t.deepEqual(
    ofKind(all, 'detection').map((d) => [d.line, d.caller, d.outcome]),
    [
      [1, 'A', 'unfinished'],
      [2, 'B', 'unfinished'],
    ],
  );
});
