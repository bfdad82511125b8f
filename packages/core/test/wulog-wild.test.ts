// The parser on excerpts found in public tickets, documentation and repositories (fixtures/wild/README.md names the
// source of each). One test (or a few) per behaviour of issue 15.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeHresult } from '../src/catalogue/index.js';
import { parseLog, WuLogStream, type Finding } from '../src/wulog/index.js';
import { FastRecordParser, SKIPPED } from '../src/wulog/records-fast.js';
import { ofKind } from './helpers/wulog-fixtures.js';

const wild = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./fixtures/wild/${name}`, import.meta.url)), 'latin1');
const shared = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`./fixtures/shared/wulog/${name}`, import.meta.url)), 'latin1');
const findingsOf = (text: string): Finding[] => parseLog(text).findings;

test('END without its START (an excerpt cut after START): unknown start, the real outcome and end time', (t) => {
  // The real Windows 7 log from line 62 on: its cycle's START line (61) is not in the excerpt.
  const cut = shared('real/legacy-win7.log').split('\n').slice(61).join('\n');
  t.deepEqual(ofKind(findingsOf(cut), 'detection'), [
    {
      kind: 'detection',
      line: 8,
      start: null,
      end: '2021-08-29T14:00:26.072',
      caller: null,
      managed: null,
      serverUrl: null,
      outcome: 'succeeded',
      hresult: null,
      updatesFound: null,
      serviceId: null,
      serviceName: null,
    },
  ]);
});

test('self-update failure that skips the scan, legacy lines indented by a web page: a failed detection', (t) => {
  const all = findingsOf(wild('ms-learn-8024402c-selfupdate-indented.log'));
  t.deepEqual(ofKind(all, 'detection'), [
    {
      kind: 'detection',
      line: 9,
      start: null,
      end: '2010-01-05T18:52:06.762',
      caller: null,
      managed: null,
      serverUrl: null,
      outcome: 'failed',
      hresult: '0x8024402C',
      updatesFound: null,
      serviceId: null,
      serviceName: null,
    },
  ]);
  t.like(ofKind(all, 'network_error')[0], { hresult: '0x8024402C', url: 'http://servername/selfupdate/wuident.cab' });
  // The records kept their columns: the indent is not part of the header.
  t.like(parseLog(wild('ms-learn-8024402c-selfupdate-indented.log')).records[8], {
    time: '2010-01-05T18:52:06.747',
    pid: 808,
    tid: 'aac',
    component: 'Agent',
    severity: 'warning',
  });
});

test('indented legacy lines give the same findings as the same lines unindented', (t) => {
  const indented = wild('ms-learn-8024402c-selfupdate-indented.log');
  const flush = indented.replace(/^ {3}/gm, '');
  t.not(indented, flush);
  t.deepEqual(findingsOf(indented), findingsOf(flush));
});

test('self-update check 404 (missing SelfUpdate vdir): failed detection 0x80244019 and the 404 for wuident.cab', (t) => {
  const all = findingsOf(wild('jjameson-80244019-selfupdate-vdir.log'));
  t.like(ofKind(all, 'detection'), [
    { start: null, end: '2008-03-22T18:53:25.002', outcome: 'failed', hresult: '0x80244019' },
  ]);
  t.deepEqual(
    ofKind(all, 'network_error').map((n) => [n.hresult, n.url, n.httpStatus]),
    [['0x80190194', 'http://colossus:8530/selfupdate/wuident.cab', 404]],
  );
  t.is(describeHresult('0x80244019').class, 'server_error');
});

test('legacy report line wrapped over three lines by a web page: a failed detection with its own time', (t) => {
  const all = findingsOf(wild('ms-learn-8024002e-report-wrapped.log'));
  t.deepEqual(ofKind(all, 'detection'), [
    {
      kind: 'detection',
      line: 1,
      start: '2024-04-17T05:14:55.630',
      end: '2024-04-17T05:14:55.630',
      caller: 'Azure VM Guest Patching',
      managed: null,
      serverUrl: null,
      outcome: 'failed',
      hresult: '0x8024002E',
      updatesFound: null,
      serviceId: null,
      serviceName: null,
    },
  ]);
  // The single-spaced settings lines after it read as well: the policy that caused 0x8024002E.
  t.like(ofKind(all, 'settings')[0], { wsusServer: null, accessDisabled: true });
  t.is(describeHresult('0x8024002E').name, 'WU_E_WU_DISABLED');
});

test('the same report line unwrapped (one line) gives the same detection', (t) => {
  const [a, b, c, ...rest] = wild('ms-learn-8024002e-report-wrapped.log').split('\n');
  const oneLine = [`${a} ${b} ${c}`, ...rest].join('\n');
  const wrapped = ofKind(findingsOf(wild('ms-learn-8024002e-report-wrapped.log')), 'detection');
  t.deepEqual(ofKind(findingsOf(oneLine), 'detection'), wrapped);
});

test('a wrapped report line resumes across a checkpoint between its lines', async (t) => {
  const { WuLogParser } = await import('../src/wulog/index.js');
  const bytes = Buffer.from(wild('ms-learn-8024002e-report-wrapped.log'), 'latin1');
  const cut = bytes.indexOf('8024002e\n') + 9; // after the second of the three lines
  const first = new WuLogParser();
  first.push(bytes.subarray(0, cut));
  const second = new WuLogParser();
  second.restore(JSON.parse(JSON.stringify(first.snapshot())));
  const rest = [...second.push(bytes.subarray(cut)).findings, ...second.end().findings];
  t.like(ofKind(rest, 'detection')[0], { outcome: 'failed', hresult: '0x8024002E', line: 1 });
});

test('modern log: the detection names the flighting service it scanned (logged as "Third party service")', (t) => {
  t.deepEqual(ofKind(findingsOf(wild('packer-135-flighting-scan.log')), 'detection'), [
    {
      kind: 'detection',
      line: 4,
      start: '2023-09-14T16:09:29.8316990',
      end: null,
      caller: 'packer-windows-update',
      managed: false,
      serverUrl: null,
      outcome: 'unfinished',
      hresult: null,
      updatesFound: null,
      serviceId: '8B24B027-1DEE-BABB-9A95-3517DFB9C552',
      serviceName: 'OS Flighting',
    },
  ]);
});

test('legacy log: the detection names its service (the default service, all-zero ID)', (t) => {
  t.like(ofKind(findingsOf(shared('real/legacy-win7.log')), 'detection')[0], {
    serviceId: '00000000-0000-0000-0000-000000000000',
    serviceName: 'Default service (as configured)',
    managed: false,
  });
  // A masked ID with the label `Managed` still names the WSUS service.
  t.like(ofKind(findingsOf(shared('pasted/field-report-80244022.log')), 'detection')[0], {
    serviceId: null,
    serviceName: 'WSUS / Configuration Manager',
    managed: true,
  });
});

test('modern install failure: LogHistory resultMapped=80070643 is one failed install; the ComApi summary does not repeat it', (t) => {
  const installs = ofKind(findingsOf(wild('wpp-4-install-80070643.log')), 'install');
  t.deepEqual(installs, [
    {
      kind: 'install',
      line: 1,
      time: '2019-06-05T11:07:50.0950566',
      outcome: 'failed',
      hresult: '0x80070643',
      title: null,
      kb: null,
      updateId: 'E0F87EBF-B414-4AC7-A225-8FE802CF8618',
      serviceId: null,
    },
  ]);
  const why = describeHresult(installs[0]!.hresult!);
  t.is(why.name, 'ERROR_INSTALL_FAILURE');
  t.regex(why.description, /Fatal error during installation/);
});

test('modern install failure without its LogHistory line: "Install call complete (… failed = 1 …)" with the call error code', (t) => {
  // The same excerpt from its second line on.
  const text = wild('wpp-4-install-80070643.log').split('\n').slice(1).join('\n');
  t.deepEqual(
    ofKind(findingsOf(text), 'install').map((f) => [f.line, f.outcome, f.hresult]),
    [[3, 'failed', '0x80240022']],
  );
  t.is(describeHresult('0x80240022').name, 'WU_E_ALL_UPDATES_FAILED');
});

test('hostile input: a report head followed by huge bare lines is dropped quickly, and the lines after it still parse', (t) => {
  const [head] = wild('ms-learn-8024002e-report-wrapped.log').split('\n');
  const huge = 'x'.repeat(200_000);
  const rest = wild('jjameson-80244019-selfupdate-vdir.log');
  const t0 = performance.now();
  const all = findingsOf([head, huge, huge, huge, rest].join('\n'));
  t.true(performance.now() - t0 < 2000);
  t.deepEqual(
    ofKind(all, 'detection').map((d) => [d.outcome, d.hresult]),
    [['failed', '0x80244019']],
  );
});

/** Findings of a findings-only parse (what parse-log and the agent run: lines no matcher wants are skipped unbuilt). */
function findingsOnly(text: string): Finding[] {
  const found: Finding[] = [];
  const parser = new WuLogStream({ onFinding: (f) => found.push(f) });
  parser.push(Buffer.from(text, 'latin1'));
  parser.end();
  return found.sort((a, b) => a.line - b.line);
}

test('Store scans of public modern logs: the lines a prefix shares with a finding are skipped, the findings stay', (t) => {
  for (const [name, serverUrl, updatesFound] of [
    ['findingsanity-logs-store-scan.log', 'https://fe3.delivery.mp.microsoft.com/ClientWebService/client.asmx', 15],
    ['raja-fahad-wulogs-store-scan.log', null, 0],
  ] as const) {
    const text = wild(name);
    const all = findingsOf(text);
    t.deepEqual(findingsOnly(text), all, name);
    t.like(ofKind(all, 'detection')[0], {
      outcome: 'succeeded',
      serviceId: '855E8A7C-ECB4-4CA3-B045-1DFA50104289',
      serviceName: 'Microsoft Store',
      serverUrl,
      updatesFound,
    });
    // `Get response…`, `Service 855E… is not in sequential scan list`, `Skipping driver sync…`, `Existing cookie…`
    // share their first three characters with GetConfig, ServiceID/Server URL, Skipping scan and Exit code: the first
    // three are not built at all (prefixes.ts WORDS), `Exi` still is (an install summary reads any Exi… line).
    const fast = new FastRecordParser();
    fast.lite = true;
    const buf = Buffer.from(text, 'latin1');
    let at = 0;
    for (const line of text.split('\n')) {
      const r = fast.parse(buf, at, at + line.length, text, at, at + line.length, 1);
      const body = line.slice(56);
      if (/^(Get response|Service [0-9A-F]|Skipping (driver|StartCategory))/.test(body)) t.is(r, SKIPPED, line);
      if (/^(ServiceI|Found \d|\* (START|END) \* Finding)/.test(body)) t.not(r, SKIPPED, line);
      at += line.length + 1;
    }
  }
});
