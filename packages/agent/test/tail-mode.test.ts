import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyLogHead, detectMode, MODE_SAMPLE_BYTES } from '../src/tail/index.js';

const fixture = (rel: string) => fileURLToPath(new URL(`../../core/test/fixtures/shared/${rel}`, import.meta.url));

const STUB = [
  'Windows Update logs are now generated using ETW (Event Tracing for Windows).',
  'Please run the Get-WindowsUpdateLog PowerShell command to convert ETW traces into a readable WindowsUpdate.log.',
  '',
  'For more information, please visit https://go.microsoft.com/fwlink/?LinkId=518345',
].join('\r\n');

const LEGACY = '2021-08-28\t03:07:48:216\t 648\t13bc\tReport\tCWERReporter finishing event handling. (00000000)\r\n';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-mode-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a real Windows 7 legacy log is tailed', async (t) => {
  t.deepEqual(await detectMode(fixture('wulog/real/legacy-win7.log')), { mode: 'log', reason: 'legacy_lines' });
});

test('Get-WindowsUpdateLog output is not tailed (static snapshot)', async (t) => {
  t.deepEqual(await detectMode(fixture('wulog/real/modern-server2019-wsus.log')), {
    mode: 'event',
    reason: 'converted_log',
  });
});

test('a pasted log without headers is not tailed', async (t) => {
  t.is((await detectMode(fixture('wulog/pasted/field-report-80244022.log'))).mode, 'event');
});

test('the Windows 10/2016 ETW stub, a missing and an empty file mean event mode', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'stub.log'), STUB);
  await writeFile(join(dir, 'empty.log'), '');
  t.deepEqual(await detectMode(join(dir, 'stub.log')), { mode: 'event', reason: 'etw_stub' });
  t.deepEqual(await detectMode(join(dir, 'empty.log')), { mode: 'event', reason: 'empty' });
  t.deepEqual(await detectMode(join(dir, 'absent.log')), { mode: 'event', reason: 'missing' });
});

test('encodings: UTF-8 BOM legacy log, UTF-16LE stub', (t) => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(LEGACY)]);
  t.is(classifyLogHead(bom).mode, 'log');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(STUB, 'utf16le')]);
  t.deepEqual(classifyLogHead(utf16), { mode: 'event', reason: 'etw_stub' });
});

test('a line cut by the sample size is not judged when complete lines precede it', (t) => {
  const junk = 'garbage header line\r\n';
  t.deepEqual(classifyLogHead(Buffer.from(junk + LEGACY.slice(0, 40))), { mode: 'event', reason: 'unrecognised' });
  t.is(classifyLogHead(Buffer.from(junk + LEGACY + LEGACY.slice(0, 30))).mode, 'log');
  // A file that is only one line without LF is judged on that line.
  t.is(classifyLogHead(Buffer.from(LEGACY.trimEnd())).mode, 'log');
});

test('whitespace or a lone BOM counts as empty', (t) => {
  t.deepEqual(classifyLogHead(Buffer.from('\ufeff \r\n')), { mode: 'event', reason: 'empty' });
  t.deepEqual(classifyLogHead(Buffer.from([0xff, 0xfe, 0x20, 0x00])), { mode: 'event', reason: 'empty' });
  t.deepEqual(classifyLogHead(Buffer.from('just some text\n')), { mode: 'event', reason: 'unrecognised' });
});

test('the sample is bounded', async (t) => {
  const dir = await tempDir(t);
  // Legacy lines start only after the sample: the decision is made on the first bytes alone.
  await writeFile(join(dir, 'late.log'), 'x'.repeat(MODE_SAMPLE_BYTES) + '\n' + LEGACY);
  t.is((await detectMode(join(dir, 'late.log'))).mode, 'event');
});
