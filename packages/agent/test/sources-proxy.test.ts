import test from 'ava';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import { fileProxySource, parseNetshProxy, windowsProxySource } from '../src/sources/index.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url));
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));

const CASES: [string, ReturnType<typeof parseNetshProxy>][] = [
  ['netsh-direct.txt', null],
  ['netsh-proxy.txt', { url: 'proxy.corp.example:8080', bypass: ['<local>', '*.corp.example'] }],
  ['netsh-proxy-no-bypass.txt', { url: 'http=proxy.corp.example:80;https=proxy.corp.example:8443', bypass: [] }],
  ['netsh-proxy-german.txt', { url: 'proxy.corp.example:3128', bypass: ['<local>', '10.*'] }],
];

for (const [name, expected] of CASES) {
  test(`parseNetshProxy reads ${name}`, (t) => {
    t.deepEqual(parseNetshProxy(fixture(name).toString('latin1')), expected);
  });
}

test('netsh.exe winhttp show proxy is run by absolute path', async (t) => {
  const runner = new RecordingRunner().on('netsh.exe', { stdout: fixture('netsh-proxy.txt') });
  const proxy = await windowsProxySource(runner, { env: { SystemRoot: 'C:\\Windows' } }).read();
  t.is(proxy?.url, 'proxy.corp.example:8080');
  t.is(runner.calls[0]!.file, 'C:\\Windows\\System32\\netsh.exe');
  t.deepEqual(runner.calls[0]!.args, ['winhttp', 'show', 'proxy']);
});

test('a failing netsh is a catalogued error with its message', async (t) => {
  const runner = new RecordingRunner().on('netsh.exe', {
    code: 1,
    stdout: 'The following command was not found: winhttp show proxy.',
  });
  const err = await t.throwsAsync(windowsProxySource(runner).read());
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /command was not found/);
});

test('the stand-in reads DIR/proxy.txt and treats its absence as direct access', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuw-proxy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const source = fileProxySource(dir);
  t.is(await source.read(), null);
  await copyFile(fixturePath('netsh-proxy.txt'), join(dir, 'proxy.txt'));
  t.deepEqual(await source.read(), { url: 'proxy.corp.example:8080', bypass: ['<local>', '*.corp.example'] });
});

test('a 32-bit agent on 64-bit Windows runs the native netsh through Sysnative, not the SysWOW64 one', async (t) => {
  const runner = new RecordingRunner().on('netsh.exe', { stdout: fixture('netsh-proxy.txt') });
  // What Windows puts in a 32-bit process's environment on a 64-bit system.
  const env = { SystemRoot: 'C:\\Windows', PROCESSOR_ARCHITECTURE: 'x86', PROCESSOR_ARCHITEW6432: 'AMD64' };
  const proxy = await windowsProxySource(runner, { env }).read();
  t.is(runner.calls[0]!.file, 'C:\\Windows\\Sysnative\\netsh.exe');
  t.is(proxy?.url, 'proxy.corp.example:8080');
});
