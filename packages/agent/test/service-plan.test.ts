import test from 'ava';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import {
  APP_EXIT_DEFAULT,
  executePlan,
  failureActionsHex,
  formatPlan,
  nssmSettings,
  parseServiceStatus,
  planInstall,
  planStart,
  planStatus,
  planStop,
  planUninstall,
  serviceLayout,
} from '../src/service/index.js';
import type { InstallOptions, Plan } from '../src/service/index.js';

const WIN: InstallOptions = {
  installDir: 'C:\\Program Files\\wuwatch',
  stateDir: 'C:\\ProgramData\\wuwatch',
  sourceExe: 'D:\\media\\wuwatch-agent.exe',
  sourceNssm: 'D:\\media\\nssm.exe',
  collectorUrl: 'https://wuwatch.corp.example:8470',
  enrollSecret: 's3cr3t-enroll',
  env: { SystemRoot: 'C:\\Windows' },
};
const NSSM = 'C:\\Program Files\\wuwatch\\nssm.exe';
const EXE = 'C:\\Program Files\\wuwatch\\wuwatch-agent.exe';
const NET = 'C:\\Windows\\System32\\net.exe';

const summary = (plan: Plan): string[] =>
  plan.map((s) =>
    s.kind === 'exec'
      ? `exec ${s.argv.join(' ')}`
      : s.kind === 'copy'
        ? `copy ${s.from} -> ${s.path}`
        : `${s.kind} ${s.path}`,
  );

test('a fresh install locks down the state dir before the secret is written, installs the exe and nssm, registers the exe, applies the settings, starts', (t) => {
  const s = summary(planInstall(WIN));
  t.deepEqual(s.slice(0, 9), [
    'mkdir C:\\ProgramData\\wuwatch',
    'mkdir C:\\ProgramData\\wuwatch\\logs',
    'exec C:\\Windows\\System32\\icacls.exe C:\\ProgramData\\wuwatch /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F',
    'write C:\\ProgramData\\wuwatch\\agent.json',
    'mkdir C:\\Program Files\\wuwatch',
    `copy D:\\media\\wuwatch-agent.exe -> ${EXE}`,
    `copy D:\\media\\nssm.exe -> ${NSSM}`,
    `exec ${NSSM} install wuwatch-agent ${EXE}`,
    `exec ${NSSM} set wuwatch-agent DisplayName wuwatch agent`,
  ]);
  t.true(s.includes(`exec ${NSSM} set wuwatch-agent Start SERVICE_DELAYED_AUTO_START`));
  t.true(s.includes(`exec ${NSSM} set wuwatch-agent AppExit Default Restart`));
  t.true(
    s.includes(
      'exec C:\\Windows\\System32\\sc.exe failure wuwatch-agent reset= 3600 actions= restart/10000/restart/10000/restart/10000',
    ),
  );
  t.is(s.at(-1), `exec ${NET} start wuwatch-agent`);
  t.false(
    s.some((l) => /node\.exe/i.test(l)),
    'the service runs the exe itself, never node.exe plus a script',
  );
});

test('every nssm setting is applied with nssm set, the agent running with the agent.json of the state dir', (t) => {
  const plan = planInstall(WIN);
  const sets = plan.flatMap((s) =>
    s.kind === 'exec' && s.argv[1] === 'set' ? [[s.argv[3], s.argv.slice(4).join(' ')]] : [],
  );
  const expected = nssmSettings(serviceLayout(WIN));
  for (const e of expected)
    t.true(
      sets.some(([n, v]) => n === e.name && v === String(e.value)),
      e.name,
    );
  t.deepEqual(expected.slice(0, 3), [
    { name: 'Application', value: EXE },
    { name: 'AppParameters', value: 'run --config "C:\\ProgramData\\wuwatch\\agent.json"' },
    { name: 'AppDirectory', value: 'C:\\ProgramData\\wuwatch' },
  ]);
});

test('the MSI writes the same nssm settings, AppExit, delayed start and failure actions as wuwatch-agent install', async (t) => {
  const wxs = await readFile(new URL('../../../packaging/windows/wuwatch-agent.wxs', import.meta.url), 'utf8');
  type Value = { '@_Name'?: string; '@_Type': string; '@_Value': string };
  type Key = { '@_Key': string; RegistryValue: Value | Value[] };
  const keys: Key[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'RegistryKey') (Array.isArray(v) ? v : [v]).forEach((x: Key) => keys.push(x));
        else walk(v);
      }
    }
  };
  walk(new XMLParser({ ignoreAttributes: false }).parse(wxs));
  const values = (suffix: string) =>
    [keys.find((k) => k['@_Key'].endsWith(suffix))!.RegistryValue].flat().map((v) => ({
      name: v['@_Name'] ?? '',
      value: v['@_Type'] === 'integer' ? Number(v['@_Value']) : v['@_Value'],
    }));
  // The MSI's paths are MSI formatted strings; resolve them the way Windows Installer does on a default system.
  const resolved = values('wuwatch-agent\\Parameters').map((v) => ({
    ...v,
    value:
      typeof v.value === 'string'
        ? v.value
            .replace('[INSTALLDIR]', 'C:\\Program Files\\wuwatch\\')
            .replace(/\[CommonAppDataFolder\]/g, 'C:\\ProgramData\\')
        : v.value,
  }));
  t.deepEqual(resolved, nssmSettings(serviceLayout(WIN)));
  t.deepEqual(values('Parameters\\AppExit'), [{ name: '', value: APP_EXIT_DEFAULT }]);
  const svc = values('Services\\wuwatch-agent');
  t.deepEqual(
    svc.find((v) => v.name === 'DelayedAutostart'),
    { name: 'DelayedAutostart', value: 1 },
  );
  t.deepEqual(
    svc.find((v) => v.name === 'FailureActions'),
    { name: 'FailureActions', value: failureActionsHex() },
  );
});

test('agent.json holds the collector URL and secret; the dry-run view redacts the secret', (t) => {
  const step = planInstall(WIN).find((s) => s.kind === 'write' && s.path.endsWith('agent.json'));
  if (step?.kind !== 'write') return t.fail('no agent.json step');
  t.deepEqual(JSON.parse(step.content), {
    collectorUrl: 'https://wuwatch.corp.example:8470',
    enrollSecret: 's3cr3t-enroll',
    stateDir: 'C:\\ProgramData\\wuwatch',
  });
  const shown = formatPlan(planInstall(WIN), 'Install');
  t.notRegex(shown, /s3cr3t-enroll/);
  t.regex(shown, /<redacted>/);
  t.regex(
    shown,
    /"C:\\Program Files\\wuwatch\\nssm\.exe" install wuwatch-agent "C:\\Program Files\\wuwatch\\wuwatch-agent\.exe"/,
  );
});

test('upgrade in place stops, waits for nssm to exit, replaces both binaries, re-applies the settings and starts; agent.json only with new values', (t) => {
  const up = summary(planInstall({ ...WIN, installed: true, collectorUrl: undefined, enrollSecret: undefined }));
  t.deepEqual(up.slice(0, 2), [
    `exec ${NET} stop wuwatch-agent`,
    `exec ${EXE} wait-released ${NSSM} --timeout-seconds 30`,
  ]);
  t.true(up.includes(`copy D:\\media\\wuwatch-agent.exe -> ${EXE}`));
  t.false(up.some((l) => l.includes(' install wuwatch-agent')));
  t.false(up.some((l) => l.startsWith('write ')));
  t.is(up.at(-1), `exec ${NET} start wuwatch-agent`);
  const rewrite = summary(planInstall({ ...WIN, installed: true }));
  t.true(rewrite.includes('write C:\\ProgramData\\wuwatch\\agent.json'));
});

test('a fresh install needs the collector URL and the enrollment secret, and a usable URL', (t) => {
  for (const bad of [
    { collectorUrl: undefined, enrollSecret: undefined },
    { enrollSecret: '' },
    { collectorUrl: 'wuwatch.corp.example' },
  ]) {
    const err = t.throws(() => planInstall({ ...WIN, ...bad }));
    t.true(isWuwatchError(err, 'CONFIG_INVALID'), JSON.stringify(bad));
  }
  // An existing agent.json (an earlier install or the MSI's) is enough.
  t.notThrows(() => planInstall({ ...WIN, collectorUrl: undefined, enrollSecret: undefined, configExists: true }));
});

test('uninstall, start, stop and status plans go through nssm', (t) => {
  const l = { installDir: WIN.installDir, stateDir: WIN.stateDir, env: WIN.env };
  t.deepEqual(summary(planUninstall(l)), [
    `exec ${NET} stop wuwatch-agent`,
    `exec ${EXE} wait-released ${NSSM} --timeout-seconds 30`,
    'exec C:\\Windows\\System32\\sc.exe delete wuwatch-agent',
  ]);
  t.deepEqual(summary(planStart(l)), [`exec ${NET} start wuwatch-agent`]);
  t.deepEqual(summary(planStop(l)), [`exec ${NET} stop wuwatch-agent`]);
  t.deepEqual(summary(planStatus(l)), ['exec C:\\Windows\\System32\\sc.exe query wuwatch-agent']);
});

test('parseServiceStatus reads nssm status and sc query answers', (t) => {
  t.is(parseServiceStatus('SERVICE_RUNNING\r\n'), 'started');
  t.is(parseServiceStatus('SERVICE_STOPPED\r\n'), 'stopped');
  t.is(parseServiceStatus('        STATE              : 4  RUNNING\r\n'), 'started');
  t.is(
    parseServiceStatus("Can't open service!\r\nOpenService(): The specified service does not exist"),
    'not_installed',
  );
  t.is(
    parseServiceStatus(
      '[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.',
    ),
    'not_installed',
  );
  t.is(parseServiceStatus('SERVICE_START_PENDING'), 'unknown');
});

async function layoutOnDisk(t: { teardown(fn: () => Promise<void>): void }) {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-svc-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const media = join(root, 'media');
  await mkdir(media);
  await writeFile(join(media, 'wuwatch-agent.exe'), 'MZ agent 1');
  await writeFile(join(media, 'nssm.exe'), 'MZ nssm 2.23');
  return {
    ...WIN,
    installDir: join(root, 'Program Files', 'wuwatch'),
    stateDir: join(root, 'ProgramData', 'wuwatch'),
    sourceExe: join(media, 'wuwatch-agent.exe'),
    sourceNssm: join(media, 'nssm.exe'),
    pathStyle: 'posix' as const,
  };
}

test('executePlan runs a fresh install on disk; an upgrade keeps offsets, spool and token and replaces the exe', async (t) => {
  const opts = await layoutOnDisk(t);
  const runner = new RecordingRunner().on(() => true, { stdout: '' });
  await executePlan(planInstall(opts), { runner });
  t.deepEqual((await readdir(opts.installDir)).sort(), ['nssm.exe', 'wuwatch-agent.exe']);
  t.is(JSON.parse(await readFile(join(opts.stateDir, 'agent.json'), 'utf8')).enrollSecret, 's3cr3t-enroll');
  t.deepEqual(
    runner.calls
      .filter((c) => c.file.endsWith('nssm.exe'))
      .map((c) => c.args[0])
      .slice(0, 2),
    ['install', 'set'],
  );

  const state: Record<string, string> = {
    'tail-checkpoint.json': '{"offset":4242}\n',
    'credentials.json': '{"token":"agent-token"}\n',
    'spool/00000001.seg': 'frames',
  };
  await mkdir(join(opts.stateDir, 'spool'));
  for (const [name, content] of Object.entries(state)) await writeFile(join(opts.stateDir, name), content);
  const configBefore = await readFile(join(opts.stateDir, 'agent.json'), 'utf8');
  await writeFile(opts.sourceExe, 'MZ agent 2');
  const up = new RecordingRunner().on(() => true, { stdout: '' });
  await executePlan(planInstall({ ...opts, installed: true, collectorUrl: undefined, enrollSecret: undefined }), {
    runner: up,
  });
  t.deepEqual(
    up.calls.slice(0, 2).map((c) => c.args[0]),
    ['stop', 'wait-released'],
  );
  t.is(await readFile(join(opts.installDir, 'wuwatch-agent.exe'), 'utf8'), 'MZ agent 2');
  for (const [name, content] of Object.entries(state))
    t.is(await readFile(join(opts.stateDir, name), 'utf8'), content, name);
  t.is(await readFile(join(opts.stateDir, 'agent.json'), 'utf8'), configBefore);
});

test('a failing command stops the plan with a catalogued error; an ignored failure does not', async (t) => {
  const runner = new RecordingRunner()
    .on((c) => c.args[0] === 'stop', { code: 1, stdout: 'SERVICE_STOPPED' })
    .on((c) => c.args[0] === 'wait-released', { stdout: '' })
    .on((c) => c.args[0] === 'delete', { code: 1060, stdout: '[SC] OpenService FAILED 1060:' });
  const err = await t.throwsAsync(executePlan(planUninstall({ installDir: 'C:\\i', stateDir: 'C:\\s' }), { runner }));
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /sc\.exe delete wuwatch-agent failed: exit code 1060: \[SC\] OpenService FAILED 1060/);
  t.is(runner.calls.length, 3);
});
