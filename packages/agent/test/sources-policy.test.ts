import test from 'ava';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyData, assessPolicy, isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import {
  MDM_POLICY_FILE,
  MDM_QUERY_KEYS,
  REG_QUERY_ARGS,
  emptyPolicy,
  filePolicySource,
  policyFromRegQuery,
  windowsPolicySource,
} from '../src/sources/index.js';

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

const MDM_UPDATE = 'HKLM\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\Update';
const MDM_CONFLICT = 'HKLM\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\ControlPolicyConflict';
const isQueryOf =
  (key: string) =>
  (call: { args: string[] }): boolean =>
    call.args[1] === key;

test('the MDM store: both PolicyManager keys queried recursively in the 64-bit view and parsed together', async (t) => {
  const runner = new RecordingRunner()
    .on(isQueryOf(MDM_UPDATE), { stdout: fixture('regquery-mdm-update.txt') })
    .on(isQueryOf(MDM_CONFLICT), { stdout: fixture('regquery-mdm-conflict.txt') });
  const mdm = await windowsPolicySource(runner, { env: ENV }).readMdm();
  t.deepEqual(
    runner.calls.map((c) => [c.file, c.args]),
    MDM_QUERY_KEYS.map((k) => ['C:\\Windows\\System32\\reg.exe', ['query', k, '/s', '/reg:64']]),
  );
  t.true(mdm.present);
  t.is(mdm.update.ExcludeWUDriversInQualityUpdate, 1);
  t.is(mdm.update.DeferQualityUpdatesPeriodInDays, 7);
  t.is(mdm.mdmWinsOverGp, 1);
  t.deepEqual(Object.keys(mdm.other).sort(), [
    'DeferQualityUpdatesPeriodInDays_ProviderSet',
    'ExcludeWUDriversInQualityUpdate_ProviderSet',
  ]);
  t.true(PolicyData.safeParse({ policy: emptyPolicy(), mdm }).success);
});

test('absent PolicyManager keys (Windows stderr, Wine stdout) give a store with present false, not an error', async (t) => {
  const runner = new RecordingRunner()
    .on(isQueryOf(MDM_UPDATE), { code: 1, stderr: fixture('regquery-not-found.stderr.txt') })
    .on(isQueryOf(MDM_CONFLICT), { code: 1, stdout: fixture('regquery-not-found-wine.stdout.txt') });
  const mdm = await windowsPolicySource(runner, { env: ENV }).readMdm();
  t.false(mdm.present);
  t.is(mdm.mdmWinsOverGp, null);
  t.is(mdm.update.DisableDualScan, null);
});

test('only the conflict key present: MDMWinsOverGP read, Update store absent', async (t) => {
  const runner = new RecordingRunner()
    .on(isQueryOf(MDM_UPDATE), { code: 1, stderr: fixture('regquery-not-found.stderr.txt') })
    .on(isQueryOf(MDM_CONFLICT), { stdout: fixture('regquery-mdm-conflict.txt') });
  const mdm = await windowsPolicySource(runner, { env: ENV }).readMdm();
  t.false(mdm.present);
  t.is(mdm.mdmWinsOverGp, 1);
});

test('a denied PolicyManager query is WUW_COMMAND_FAILED naming the key', async (t) => {
  const runner = new RecordingRunner().on('reg.exe', { code: 1, stderr: 'ERROR: Access is denied.\r\n' });
  const err = await t.throwsAsync(windowsPolicySource(runner, { env: ENV }).readMdm());
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /PolicyManager\\current\\device\\Update/);
});

test('simulate: DIR/mdm.reg is read as the MDM store; without it the store is absent', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-mdm-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const source = filePolicySource(dir);
  t.false((await source.readMdm()).present);
  await copyFile(fixturePath('regquery-mdm-update.txt'), join(dir, MDM_POLICY_FILE));
  const mdm = await source.readMdm();
  t.true(mdm.present);
  t.is(mdm.update.DeferQualityUpdatesPeriodInDays, 7);
});
