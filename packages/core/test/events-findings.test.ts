import test from 'ava';
import { describeHresult } from '../src/catalogue/index.js';
import { readFileSync } from 'node:fs';
import { eventToFinding, eventsToFindings, parseWevtutilXml } from '@wuwatch/core';
import type { EventFinding, WinEvent } from '@wuwatch/core';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/events/${name}`, import.meta.url), 'utf8');
const OP = 'Microsoft-Windows-WindowsUpdateClient/Operational';
const TIME = '2024-03-05T09:14:04.501Z';

function ev(eventId: number, data: Record<string, string>, over: Partial<WinEvent> = {}): WinEvent {
  return {
    channel: eventId === 19 || eventId === 20 || eventId >= 32 ? 'System' : OP,
    provider: 'Microsoft-Windows-WindowsUpdateClient',
    recordId: 500,
    eventId,
    time: TIME,
    level: 2,
    computer: 'srv01.corp.example',
    data,
    ...over,
  };
}
const origin = (e: WinEvent) => ({ recordId: e.recordId, channel: e.channel, eventId: e.eventId, time: e.time });

const rows: [string, WinEvent, Partial<EventFinding> | null][] = [
  [
    '25 → failed detection with the normalised code',
    ev(25, { errorCode: '0x8024402f', serviceGuid: '{3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}' }),
    {
      kind: 'detection',
      outcome: 'failed',
      hresult: '0x8024402F',
      updatesFound: null,
      caller: null,
      managed: true,
      serverUrl: null,
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
      serviceName: 'WSUS / Configuration Manager',
    },
  ],
  [
    '25 with a decimal code',
    ev(25, { errorCode: '-2145107934' }),
    { kind: 'detection', outcome: 'failed', hresult: '0x80244022' },
  ],
  ['25 without a code', ev(25, {}), { kind: 'detection', outcome: 'failed', hresult: null }],
  ['25 with an unreadable code', ev(25, { errorCode: 'n/a' }), { kind: 'detection', hresult: null }],
  [
    '26 → succeeded detection with the count',
    ev(26, { updateCount: '3' }),
    { kind: 'detection', outcome: 'succeeded', hresult: null, updatesFound: 3 },
  ],
  ['26 with no count', ev(26, { updateCount: '' }), { kind: 'detection', outcome: 'succeeded', updatesFound: null }],
  ['data names match in any case', ev(26, { UpdateCount: '0' }), { kind: 'detection', updatesFound: 0 }],
  [
    '19 → succeeded install with the title',
    ev(19, { updateTitle: ' KB5034768 ' }),
    { kind: 'install', outcome: 'succeeded', hresult: null, title: 'KB5034768' },
  ],
  [
    '20 → failed install with code and title',
    ev(20, { errorCode: '0x80073701', updateTitle: 'KB5034768' }),
    { kind: 'install', outcome: 'failed', hresult: '0x80073701', title: 'KB5034768' },
  ],
  ['20 without a title', ev(20, { errorCode: '0x80073701' }), { kind: 'install', title: null }],
  [
    '31 → network error, BITS code gives the HTTP status',
    ev(31, { errorCode: '0x801901f7', updateTitle: 'KB5034768' }),
    { kind: 'network_error', hresult: '0x801901F7', url: null, httpStatus: 503 },
  ],
  [
    '31 with a local cause keeps the code, no status',
    ev(31, { errorCode: '0x80070070' }),
    { kind: 'network_error', hresult: '0x80070070', httpStatus: null },
  ],
  [
    '32 → network error with the server URL',
    ev(32, { serverName: 'http://wsus-old.corp.example:8530' }),
    { kind: 'network_error', hresult: null, url: 'http://wsus-old.corp.example:8530', httpStatus: null },
  ],
  [
    '32 with a WU HTTP code',
    ev(32, { errorCode: '0x80244022' }),
    { kind: 'network_error', hresult: '0x80244022', url: null, httpStatus: 503 },
  ],
  [
    '33 → network error, proxy wants credentials (407)',
    ev(33, { serverName: 'proxy.corp.example:8080' }),
    { kind: 'network_error', url: null, httpStatus: 407 },
  ],
  ['16 (local AU service) is not a finding', ev(16, {}), null],
  ['41 (downloaded) is not a finding', ev(41, { updateTitle: 'x' }), null],
  [
    'another provider with ID 25 is not a finding',
    ev(25, { errorCode: '0x80244022' }, { provider: 'Microsoft-Windows-Other' }),
    null,
  ],
];

for (const [name, event, expected] of rows) {
  test(`eventToFinding: ${name}`, (t) => {
    const finding = eventToFinding(event);
    if (expected === null) {
      t.is(finding, null);
      return;
    }
    t.like(finding, { ...origin(event), ...expected });
    t.false('line' in finding!, 'event findings carry recordId instead of line');
  });
}

test('detection findings have exactly the log fields minus line/start/end plus the event origin', (t) => {
  const f = eventToFinding(ev(26, { updateCount: '1' }));
  t.deepEqual(f, {
    kind: 'detection',
    recordId: 500,
    channel: OP,
    eventId: 26,
    time: TIME,
    caller: null,
    managed: null,
    serverUrl: null,
    outcome: 'succeeded',
    hresult: null,
    updatesFound: 1,
    serviceId: null,
    serviceName: null,
  });
});

test('the provider name matches case-insensitively', (t) => {
  t.not(eventToFinding(ev(25, {}, { provider: 'microsoft-windows-windowsupdateclient' })), null);
});

test('fixture: a WSUS server that went away, from the Operational channel', (t) => {
  const findings = eventsToFindings(parseWevtutilXml(fixture('operational-wsus-down.xml')));
  t.deepEqual(
    findings.map((f) => [f.recordId, f.kind, 'outcome' in f ? f.outcome : null, f.hresult]),
    [
      [4101, 'detection', 'succeeded', null],
      [4103, 'network_error', null, '0x801901F7'],
      [4104, 'detection', 'failed', '0x80244022'],
      [4105, 'detection', 'failed', '0x80244022'],
      [4106, 'detection', 'failed', '0x8024402C'],
    ],
  );
  t.true(findings.every((f) => f.channel === OP));
  t.deepEqual(JSON.parse(JSON.stringify(findings)), findings);
});

test('fixture: installs from the System channel; other providers are dropped', (t) => {
  const findings = eventsToFindings(parseWevtutilXml(fixture('system-installs.xml')));
  t.deepEqual(findings, [
    {
      kind: 'install',
      recordId: 88231,
      channel: 'System',
      eventId: 19,
      time: '2024-02-14T03:12:45.777Z',
      outcome: 'succeeded',
      hresult: null,
      title:
        'Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.405.386.0) - Current Channel (Broad)',
      kb: 'KB2267602',
      updateId: '9A1C0D8E-55B3-4A57-8A0F-6F0D2F2D8C10',
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
    },
    {
      kind: 'install',
      recordId: 88240,
      channel: 'System',
      eventId: 20,
      time: '2024-02-14T03:25:10.001Z',
      outcome: 'failed',
      hresult: '0x80073701',
      title: '2024-02 Cumulative Update for Windows Server 2019 (1809) for x64-based Systems (KB5034768)',
      kb: 'KB5034768',
      updateId: '0B3F3E6A-7D2C-4B8A-A5C5-1C9D2E7F4A01',
      serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
    },
  ]);
});

test('event 25 with a call-cancelled code is a cancelled detection, not a failure; its service is named', (t) => {
  t.like(eventToFinding(ev(25, { errorCode: '0x8024000B', serviceGuid: '{855E8A7C-ECB4-4CA3-B045-1DFA50104289}' })), {
    kind: 'detection',
    outcome: 'cancelled',
    hresult: '0x8024000B',
    serviceId: '855E8A7C-ECB4-4CA3-B045-1DFA50104289',
    serviceName: 'Microsoft Store',
    managed: false,
  });
  t.like(eventToFinding(ev(20, { errorCode: '0x8024000B', updateTitle: 'X (KB5034768)' })), {
    kind: 'install',
    outcome: 'cancelled',
    kb: 'KB5034768',
  });
});

test('events 19/20: title, KB, update ID, service and a code the catalogue explains', (t) => {
  const [ok, failed] = eventsToFindings(parseWevtutilXml(fixture('system-installs.xml')));
  t.like(ok, { eventId: 19, outcome: 'succeeded', kb: 'KB2267602' });
  t.like(failed, {
    eventId: 20,
    outcome: 'failed',
    kb: 'KB5034768',
    serviceId: '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7',
  });
  const why = describeHresult((failed as { hresult: string }).hresult);
  t.is(why.code, '0x80073701');
  t.not(why.class, 'unknown');
});
