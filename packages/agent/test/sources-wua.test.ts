import test from 'ava';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkEventData, isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import {
  WUA_POWERSHELL_ARGS,
  WUA_SCRIPT,
  fileWuaSource,
  parseWuaDate,
  parseWuaOutput,
  windowsWuaSource,
} from '../src/sources/index.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url));
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));

test('the script is one argv element with no double quotes or newlines, and needs no PowerShell 3 cmdlets', (t) => {
  t.deepEqual([...WUA_POWERSHELL_ARGS.slice(0, 4)], ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command']);
  t.is(WUA_POWERSHELL_ARGS[4], WUA_SCRIPT);
  t.false(WUA_SCRIPT.includes('"'));
  t.false(/[\r\n]/.test(WUA_SCRIPT));
  t.false(/ConvertTo-Json|pscustomobject/i.test(WUA_SCRIPT));
  t.regex(WUA_SCRIPT, /New-Object -ComObject Microsoft\.Update\.AutoUpdate\)\.Results/);
  t.regex(WUA_SCRIPT, /SpecifyKind\(\$v,'Utc'\)/, 'WUA dates are UTC already: no ToUniversalTime shift');
});

const OUTPUTS: [string, { lastSearchSuccessDate: string | null; lastInstallationSuccessDate: string | null }][] = [
  [
    'wua-script-output.txt',
    { lastSearchSuccessDate: '2024-03-05T09:14:04.000Z', lastInstallationSuccessDate: '2024-02-28T03:00:12.500Z' },
  ],
  ['wua-script-vt-empty.txt', { lastSearchSuccessDate: null, lastInstallationSuccessDate: null }],
  [
    'wua-convertto-json-ps51.txt',
    { lastSearchSuccessDate: '2024-03-05T09:14:04.000Z', lastInstallationSuccessDate: null },
  ],
  [
    'wua-convertto-json-ps51-datetime.txt',
    { lastSearchSuccessDate: '2024-03-05T09:14:04.000Z', lastInstallationSuccessDate: null },
  ],
  [
    'wua-convertto-json-ps7.txt',
    { lastSearchSuccessDate: '2024-03-05T09:14:04.000Z', lastInstallationSuccessDate: '2024-02-28T03:00:12.500Z' },
  ],
  ['wua-with-warning.txt', { lastSearchSuccessDate: '2024-03-05T09:14:04.000Z', lastInstallationSuccessDate: null }],
];

for (const [name, expected] of OUTPUTS) {
  test(`parseWuaOutput reads ${name}`, (t) => {
    const data = parseWuaOutput(fixture(name).toString('utf8'));
    t.deepEqual(data, expected);
    t.is(checkEventData('wua', data), null, 'valid wire data for a wua event');
  });
}

test('parseWuaDate handles every form PowerShell writes and rejects junk', (t) => {
  t.is(parseWuaDate(null), null);
  t.is(parseWuaDate(''), null);
  t.is(parseWuaDate('/Date(1709630044000)/'), '2024-03-05T09:14:04.000Z');
  t.is(parseWuaDate('/Date(1709630044000+0100)/'), '2024-03-05T09:14:04.000Z', 'the ms are UTC whatever the offset');
  t.is(parseWuaDate({ value: '/Date(1709630044000)/', DisplayHint: 2 }), '2024-03-05T09:14:04.000Z');
  t.is(parseWuaDate('2024-03-05 09:14:04'), '2024-03-05T09:14:04.000Z', 'no zone = UTC, as WUA reports');
  t.is(parseWuaDate('0001-01-01T00:00:00'), null, 'DateTime.MinValue is not a scan');
  t.is(parseWuaDate('1899-12-30T00:00:00'), null, 'OLE date 0 is not a scan');
  for (const junk of ['yesterday', 42, ['2024-03-05']]) {
    t.true(
      isWuwatchError(
        t.throws(() => parseWuaDate(junk)),
        'SOURCE_OUTPUT_INVALID',
      ),
    );
  }
});

test('output without a JSON object is a catalogued error', (t) => {
  const err = t.throws(() => parseWuaOutput('Exception calling "Results"'));
  t.true(isWuwatchError(err, 'SOURCE_OUTPUT_INVALID'));
});

test('Windows PowerShell is run by absolute path with the fixed script', async (t) => {
  const runner = new RecordingRunner().on('powershell.exe', { stdout: fixture('wua-script-output.txt') });
  const data = await windowsWuaSource(runner, { env: { SystemRoot: 'C:\\Windows' } }).read();
  t.is(data?.lastSearchSuccessDate, '2024-03-05T09:14:04.000Z');
  t.is(runner.calls[0]!.file, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
  t.deepEqual(runner.calls[0]!.args, [...WUA_POWERSHELL_ARGS]);
});

test('a failing script reports the PowerShell error without its CLIXML wrapping', async (t) => {
  const runner = new RecordingRunner().on('powershell.exe', { code: 1, stderr: fixture('wua-error.stderr.txt') });
  const err = await t.throwsAsync(windowsWuaSource(runner).read());
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /New-Object : Retrieving the COM class factory .* failed due to the following error: 80070422/);
  t.notRegex(err.message, /CLIXML|<S |_x000D_/);
});

test('the stand-in reads DIR/wua.json and returns null without it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuw-wua-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.is(await fileWuaSource(dir).read(), null);
  await copyFile(fixturePath('wua-convertto-json-ps51.txt'), join(dir, 'wua.json'));
  t.deepEqual(await fileWuaSource(dir).read(), {
    lastSearchSuccessDate: '2024-03-05T09:14:04.000Z',
    lastInstallationSuccessDate: null,
  });
});
