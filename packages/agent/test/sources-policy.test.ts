import test from 'ava';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assessPolicy, isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import { REG_QUERY_ARGS, filePolicySource, policyFromRegQuery, windowsPolicySource } from '../src/sources/index.js';

const fixturePath = (name: string): string => fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url));
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));
const ENV = { SystemRoot: 'C:\\Windows' };

test('reg.exe is run by absolute path on the WindowsUpdate key, recursively, in the 64-bit view', async (t) => {
  const runner = new RecordingRunner().on('reg.exe', { stdout: fixture('regquery-wsus.txt') });
  await windowsPolicySource(runner, { env: ENV }).read();
  t.is(runner.calls.length, 1);
  t.is(runner.calls[0]!.file, 'C:\\Windows\\System32\\reg.exe');
  t.deepEqual(runner.calls[0]!.args, [
    'query',
    'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate',
    '/s',
    '/reg:64',
  ]);
  t.deepEqual([...REG_QUERY_ARGS], runner.calls[0]!.args);
});

test('captured reg query output becomes the typed policy', async (t) => {
  const runner = new RecordingRunner().on('reg.exe', { stdout: fixture('regquery-wsus.txt') });
  const policy = await windowsPolicySource(runner, { env: ENV }).read();
  t.deepEqual(policy.keys, { windowsUpdate: true, au: true });
  t.is(policy.windowsUpdate.WUServer, 'http://wsus-old.corp.example:8530');
  t.is(policy.au.UseWUServer, 1);
  t.is(policy.au.DetectionFrequency, 22);
  const a = assessPolicy(policy);
  t.is(a.source, 'wsus');
  t.is(a.wsusUrl, 'http://wsus-old.corp.example:8530');
});

test('exit 1 with "unable to find" means no policy at all: an empty policy, not an error', async (t) => {
  const runner = new RecordingRunner().on('reg.exe', { code: 1, stderr: fixture('regquery-not-found.stderr.txt') });
  const policy = await windowsPolicySource(runner, { env: ENV }).read();
  t.deepEqual(policy.keys, { windowsUpdate: false, au: false });
  t.is(policy.windowsUpdate.WUServer, null);
  t.is(assessPolicy(policy).source, 'windows_update');
});

test('Wine\'s reg.exe, which says "key not found" on stdout (captured), is also "no policy"', (t) => {
  const policy = policyFromRegQuery({
    code: 1,
    stdout: fixture('regquery-not-found-wine.stdout.txt'),
    stderr: Buffer.alloc(0),
  });
  t.false(policy.keys.windowsUpdate);
  t.false(policy.keys.au);
});

test('exit 1 with a localized message and no output is still "no policy"', (t) => {
  const stderr = Buffer.from(
    'FEHLER: Das System kann den angegebenen Registrierungsschlüssel nicht finden.\r\n',
    'latin1',
  );
  const policy = policyFromRegQuery({ code: 1, stdout: Buffer.alloc(0), stderr });
  t.false(policy.keys.windowsUpdate);
});

test('access denied and other exit codes are errors that name the command', async (t) => {
  const denied = new RecordingRunner().on('reg.exe', { code: 1, stderr: 'ERROR: Access is denied.\r\n' });
  const err = await t.throwsAsync(windowsPolicySource(denied, { env: ENV }).read());
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /reg\.exe query HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate \/s \/reg:64/);
  t.regex(err.message, /Access is denied/);
  const weird = policyFromRegQuery.bind(null, {
    code: 2,
    stdout: Buffer.alloc(0),
    stderr: Buffer.from('ERROR: Invalid syntax.'),
  });
  t.true(isWuwatchError(t.throws(weird), 'COMMAND_FAILED'));
});

test('the stand-in reads DIR/policy.reg (a UTF-16LE regedit export) and treats a missing file as no policy', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuw-policy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const source = filePolicySource(dir);
  t.false((await source.read()).keys.windowsUpdate);
  await copyFile(fixturePath('policy-utf16le.reg'), join(dir, 'policy.reg'));
  const policy = await source.read();
  t.is(policy.windowsUpdate.WUServer, 'https://wsus01.corp.example:8531');
  t.is(policy.au.AUOptions, 4);
});

test('the stand-in also accepts a reg query capture saved as policy.reg', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuw-policy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await copyFile(fixturePath('regquery-wsus.txt'), join(dir, 'policy.reg'));
  t.is((await filePolicySource(dir).read()).windowsUpdate.TargetGroup, 'Servers');
});
