import test from 'ava';
import { execFile } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';

const FIELD_REPORT = fileURLToPath(
  new URL('../../core/test/fixtures/shared/wulog/pasted/field-report-80244022.log', import.meta.url),
);
const LEGACY = fileURLToPath(new URL('../../core/test/fixtures/shared/wulog/real/legacy-win7.log', import.meta.url));

function capture(stdinText = ''): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return {
    io: { stdout, stderr, stdin: Readable.from([Buffer.from(stdinText)]), env: {}, cwd: process.cwd() },
    out: () => o,
    err: () => e,
  };
}

const ndjson = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('parse-log finds the field report failure and the 503 from the dead WSUS server', async (t) => {
  const c = capture();
  t.is(await main(['parse-log', FIELD_REPORT], c.io), 0);
  const findings = ndjson(c.out());
  t.like(
    findings.find((f) => f.kind === 'detection'),
    { outcome: 'failed', hresult: '0x80244022', managed: true },
  );
  t.like(
    findings.find((f) => f.kind === 'network_error' && f.url),
    {
      url: 'http://YY.YY.YY.YY/selfupdate/wuident.cab',
      hresult: '0x801901F7',
      httpStatus: 503,
    },
  );
  const lines = findings.map((f) => f.line as number);
  t.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
    'findings are in file order',
  );
});

test('parse-log --records prints one record per input line; - reads stdin', async (t) => {
  const c = capture('2021-08-28\t11:05:07:920\t 576\ta70\tAgent\t  * WARNING: Exit code = 0x80244022\r\nbare line\r\n');
  t.is(await main(['parse-log', '--records', '-'], c.io), 0);
  const recs = ndjson(c.out());
  t.is(recs.length, 2);
  t.like(recs[0], {
    line: 1,
    time: '2021-08-28T11:05:07.920',
    pid: 576,
    tid: 'a70',
    component: 'Agent',
    severity: 'warning',
  });
  t.like(recs[1], { line: 2, time: null, pid: null, component: null, text: 'bare line' });
});

test('parse-log on a legacy log yields the settings block and a succeeded cycle', async (t) => {
  const c = capture();
  t.is(await main(['parse-log', LEGACY], c.io), 0);
  const findings = ndjson(c.out());
  t.like(
    findings.find((f) => f.kind === 'settings'),
    { wsusServer: null, accessDisabled: false },
  );
  t.like(
    findings.find((f) => f.kind === 'detection'),
    { outcome: 'succeeded', caller: '', managed: false, updatesFound: 0 },
  );
});

test('explain prints the catalogue entry for a person and as JSON', async (t) => {
  const c = capture();
  t.is(await main(['explain', '0x80244022'], c.io), 0);
  t.regex(c.out(), /WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL/);
  t.regex(c.out(), /503/);
  t.regex(c.out(), /unreachable/);
  t.regex(c.out(), /Not Configured/);
  const j = capture();
  t.is(await main(['explain', '--json', '-2145107934'], j.io), 0);
  t.like(JSON.parse(j.out()), { code: '0x80244022', class: 'unreachable', httpStatus: 503 });
});

test('a missing file, a non-code and a bad command exit 2 with one clear line on stderr', async (t) => {
  for (const argv of [
    ['parse-log', '/nonexistent/WindowsUpdate.log'],
    ['explain', 'hello'],
    ['explain'],
    ['frobnicate'],
  ]) {
    const c = capture();
    t.is(await main(argv, c.io), 2, argv.join(' '));
    t.is(c.err().trim().split('\n').length, 1, argv.join(' '));
    t.is(c.out(), '');
  }
});

test('the installed bin works as `wuwatch-agent` from the built package', async (t) => {
  const bin = fileURLToPath(new URL('../bin/wuwatch-agent.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [bin, 'explain', '80244022L']);
  t.regex(stdout, /WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL/);
});
