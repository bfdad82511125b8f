// The files a simulated server holds must read back, through the real parsers, as what the scenario meant.
import test from 'ava';
import {
  assessPolicy,
  detectLogKind,
  eventToFinding,
  parseLog,
  parsePolicy,
  parseWevtutilXml,
  type Finding,
} from '@wuwatch/core';
import { legacyBanner, legacyCycle, CYCLE_DURATION_MS } from '../src/machine/legacy-log.js';
import { ETW_STUB, eventsFileXml, policyRegBytes, wuaJson } from '../src/machine/windows-files.js';

const start = new Date('2026-03-04T09:10:11.120Z');
const wsus = 'http://127.0.0.1:8530';

function detections(text: string): Extract<Finding, { kind: 'detection' }>[] {
  return parseLog(text).findings.filter((f): f is Extract<Finding, { kind: 'detection' }> => f.kind === 'detection');
}

test('a successful legacy cycle parses as one succeeded, managed detection ending 2.3 s after its start', (t) => {
  const text = legacyCycle({
    start,
    wsusUrl: wsus,
    managed: true,
    hresult: null,
    transport: null,
    updates: 2,
    tid: 'a70',
  });
  const [d, ...rest] = detections(text);
  t.is(rest.length, 0);
  t.like(d, { outcome: 'succeeded', hresult: null, managed: true, updatesFound: 2, start: '2026-03-04T09:10:11.120' });
  t.is(d!.end, new Date(start.getTime() + CYCLE_DURATION_MS).toISOString().slice(0, 23));
  t.is(d!.serverUrl, `${wsus}/ClientWebService/client.asmx`);
  t.regex(text, /^2026-03-04\t09:10:11:120\t 884\ta70\tAgent\t/m);
  t.true(
    text
      .split('\n')
      .slice(0, -1)
      .every((l) => l.endsWith('\r')),
    'CRLF line ends',
  );
});

test('a cycle against a dead WSUS (503) fails with 0x80244022 and logs the BITS 0x801901f7 download error', (t) => {
  const text = legacyCycle({
    start,
    wsusUrl: wsus,
    managed: true,
    hresult: '0x80244022',
    transport: '0x801901F7',
    updates: 0,
    tid: '1a2b',
  });
  const [d] = detections(text);
  t.like(d, { outcome: 'failed', hresult: '0x80244022', managed: true });
  t.regex(
    text,
    /DownloadFileInternal failed for http:\/\/127\.0\.0\.1:8530\/selfupdate\/wuident\.cab: error 0x801901f7/,
  );
});

test('local failures and a policy without a server fail with their own code', (t) => {
  for (const [managed, code] of [
    [false, '0x80240022'],
    [true, '0x80244011'],
  ] as const) {
    const text = legacyCycle({ start, wsusUrl: null, managed, hresult: code, transport: null, updates: 0, tid: 'c' });
    t.like(detections(text)[0], { outcome: 'failed', hresult: code, managed });
  }
});

test('the banner, then cycles, form a legacy log the mode detection and the parser accept', (t) => {
  const text =
    legacyBanner(start, wsus) +
    legacyCycle({
      start: new Date(start.getTime() + 60_000),
      wsusUrl: wsus,
      managed: true,
      hresult: null,
      transport: null,
      updates: 0,
      tid: 'b',
    });
  t.is(detectLogKind(Buffer.from(text)), 'legacy');
  const { findings } = parseLog(text);
  t.true(
    findings.some((f) => f.kind === 'settings'),
    'the settings snapshot names the WSUS server',
  );
  t.is(findings.filter((f) => f.kind === 'detection').length, 1);
});

test('the ETW stub is recognised as the Windows 10 placeholder', (t) => {
  t.is(detectLogKind(Buffer.from(ETW_STUB)), 'etw_stub');
});

test('detection events read back through the wevtutil parser as events 26 and 25', (t) => {
  const xml = eventsFileXml([
    { recordId: 101, time: start, hostname: 'srv-01', hresult: null, updates: 3, managed: true },
    {
      recordId: 102,
      time: new Date(start.getTime() + 1000),
      hostname: 'srv-01',
      hresult: '0x80244022',
      updates: 0,
      managed: true,
    },
  ]);
  const events = parseWevtutilXml(xml);
  t.deepEqual(
    events.map((e) => [e.eventId, e.recordId, e.channel]),
    [
      [26, 101, 'Microsoft-Windows-WindowsUpdateClient/Operational'],
      [25, 102, 'Microsoft-Windows-WindowsUpdateClient/Operational'],
    ],
  );
  const findings = events.map(eventToFinding);
  t.like(findings[0], { kind: 'detection', outcome: 'succeeded', updatesFound: 3, time: '2026-03-04T09:10:11.120Z' });
  t.like(findings[1], { kind: 'detection', outcome: 'failed', hresult: '0x80244022' });
});

test('policy.reg is a UTF-16LE regedit export the policy parser reads into the intended assessment', (t) => {
  const bytes = policyRegBytes({ wsusUrl: wsus, useWuServer: true });
  t.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
  const managed = assessPolicy(parsePolicy(bytes));
  t.like(managed, { source: 'wsus', wsusUrl: wsus });

  const mu = assessPolicy(parsePolicy(policyRegBytes({ wsusUrl: null, useWuServer: false })));
  t.like(mu, { source: 'windows_update', wsusUrl: null });
  t.deepEqual(
    mu.problems.filter((p) => p.severity === 'error'),
    [],
  );

  const broken = assessPolicy(parsePolicy(policyRegBytes({ wsusUrl: null, useWuServer: true })));
  t.true(broken.problems.some((p) => p.code === 'USE_WUSERVER_WITHOUT_WUSERVER' && p.severity === 'error'));
});

test('wua.json carries the last successful search date, or null', (t) => {
  t.deepEqual(JSON.parse(wuaJson(start)), {
    lastSearchSuccessDate: '2026-03-04T09:10:11.120Z',
    lastInstallationSuccessDate: null,
  });
  t.is(JSON.parse(wuaJson(null)).lastSearchSuccessDate, null);
});
