import test from 'ava';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { isWuwatchError } from '@wuwatch/core';
import { RecordingRunner } from '../src/platform/index.js';
import {
  executePlan,
  formatPlan,
  parseServiceStatus,
  planInstall,
  planStart,
  planStatus,
  planStop,
  planUninstall,
} from '../src/service/index.js';
import type { InstallOptions, Plan, PlanStep } from '../src/service/index.js';

const WIN: InstallOptions = {
  installDir: 'C:\\Program Files\\wuwatch',
  stateDir: 'C:\\ProgramData\\wuwatch',
  winswExe: 'C:\\Program Files\\wuwatch\\agent\\node_modules\\node-windows\\bin\\winsw\\winsw.exe',
  nodeExe: 'C:\\Program Files\\nodejs\\node.exe',
  agentMain: 'C:\\Program Files\\wuwatch\\agent\\dist\\main.js',
  collectorUrl: 'wss://wuwatch.corp.example/agent',
  enrollSecret: 's3cr3t-enroll',
  env: { SystemRoot: 'C:\\Windows' },
};
const EXE = 'C:\\Program Files\\wuwatch\\wuwatch-agent-service.exe';

const summary = (plan: Plan): string[] =>
  plan.map((s) =>
    s.kind === 'exec'
      ? `exec ${s.argv.join(' ')}`
      : s.kind === 'copy'
        ? `copy ${s.from} -> ${s.path}`
        : `${s.kind} ${s.path}`,
  );

test('a fresh install creates folders, locks down the state dir before the secret is written, then registers and starts', (t) => {
  t.deepEqual(summary(planInstall(WIN)), [
    'mkdir C:\\Program Files\\wuwatch',
    'mkdir C:\\ProgramData\\wuwatch',
    'mkdir C:\\ProgramData\\wuwatch\\logs',
    'exec C:\\Windows\\System32\\icacls.exe C:\\ProgramData\\wuwatch /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F',
    'write C:\\ProgramData\\wuwatch\\agent.json',
    `copy ${WIN.winswExe} -> ${EXE}`,
    `copy ${WIN.winswExe}.config -> ${EXE}.config`,
    'write C:\\Program Files\\wuwatch\\wuwatch-agent-service.xml',
    `exec ${EXE} install`,
    `exec ${EXE} start`,
  ]);
});

test('agent.json holds the collector URL and secret; the dry-run view redacts the secret', (t) => {
  const step = planInstall(WIN).find((s) => s.kind === 'write' && s.path.endsWith('agent.json'));
  if (step?.kind !== 'write') return t.fail('no agent.json step');
  t.deepEqual(JSON.parse(step.content), {
    collectorUrl: 'wss://wuwatch.corp.example/agent',
    enrollSecret: 's3cr3t-enroll',
    stateDir: 'C:\\ProgramData\\wuwatch',
  });
  t.false(step.display!.includes('s3cr3t'));
  t.regex(step.display!, /"enrollSecret": "<redacted>"/);
});

test('the service XML in the plan runs node on the agent with the agent.json of the state dir', (t) => {
  const step = planInstall(WIN).find((s) => s.kind === 'write' && s.path.endsWith('.xml'));
  if (step?.kind !== 'write') return t.fail('no XML step');
  const s = (new XMLParser({ parseTagValue: false }).parse(step.content) as { service: Record<string, string> })
    .service;
  t.is(s['executable'], WIN.nodeExe);
  t.is(s['arguments'], `"${WIN.agentMain}" run --config C:\\ProgramData\\wuwatch\\agent.json`);
  t.is(s['logpath'], 'C:\\ProgramData\\wuwatch\\logs');
});

test('sc.exe failure actions are optional and use separate "reset=" / "actions=" arguments', (t) => {
  const sc = planInstall({ ...WIN, scFailureActions: true }).find((s) => s.kind === 'exec' && s.argv[1] === 'failure');
  t.deepEqual(sc?.kind === 'exec' ? sc.argv : null, [
    'C:\\Windows\\System32\\sc.exe',
    'failure',
    'wuwatch-agent',
    'reset=',
    '3600',
    'actions=',
    'restart/10000/restart/10000/restart/10000',
  ]);
  t.false(planInstall(WIN).some((s) => s.kind === 'exec' && s.argv[1] === 'failure'));
});

test('a service account other than LocalSystem gets Modify on the state dir', (t) => {
  const acl = planInstall({ ...WIN, account: { kind: 'user', domain: 'CORP', user: 'svc-wuwatch$' } })[3];
  t.deepEqual(acl?.kind === 'exec' ? acl.argv.slice(4) : null, [
    '*S-1-5-18:(OI)(CI)F',
    '*S-1-5-32-544:(OI)(CI)F',
    'CORP\\svc-wuwatch$:(OI)(CI)M',
  ]);
});

test('upgrade in place stops, replaces WinSW and XML, keeps the state dir, and starts', (t) => {
  const plan = planInstall({ ...WIN, installed: true, collectorUrl: undefined, enrollSecret: undefined });
  t.deepEqual(summary(plan), [
    `exec ${EXE} stop`,
    `copy ${WIN.winswExe} -> ${EXE}`,
    `copy ${WIN.winswExe}.config -> ${EXE}.config`,
    'write C:\\Program Files\\wuwatch\\wuwatch-agent-service.xml',
    `exec ${EXE} start`,
  ]);
  t.true(plan[0]?.kind === 'exec' && plan[0].ignoreFailure === true, 'stopping a stopped service is fine');
  const touchesState = plan.filter((s) => 'path' in s && s.path.startsWith(WIN.stateDir));
  t.deepEqual(touchesState, []);
  t.false(plan.some((s) => s.kind === 'exec' && (s.argv[1] === 'install' || s.argv[1] === 'uninstall')));
});

test('upgrade rewrites agent.json only when given both values', (t) => {
  const plan = planInstall({ ...WIN, installed: true });
  t.deepEqual(
    plan.filter((s) => 'path' in s && s.path.startsWith(WIN.stateDir)).map((s) => ('path' in s ? s.path : '')),
    ['C:\\ProgramData\\wuwatch\\agent.json'],
  );
  const half = t.throws(() => planInstall({ ...WIN, installed: true, enrollSecret: undefined }));
  t.true(isWuwatchError(half, 'CONFIG_INVALID'));
});

test('a fresh install needs the collector URL and the enrollment secret, and a usable URL', (t) => {
  for (const bad of [
    { collectorUrl: undefined, enrollSecret: undefined },
    { enrollSecret: ' ' },
    { collectorUrl: 'wuwatch.corp' },
  ]) {
    const err = t.throws(() => planInstall({ ...WIN, ...bad }));
    t.true(isWuwatchError(err, 'CONFIG_INVALID'));
  }
});

test('uninstall, start, stop and status plans', (t) => {
  const dirs = { installDir: WIN.installDir, stateDir: WIN.stateDir };
  t.deepEqual(summary(planUninstall(dirs)), [`exec ${EXE} stop`, `exec ${EXE} uninstall`]);
  t.deepEqual(summary(planStart(dirs)), [`exec ${EXE} start`]);
  t.deepEqual(summary(planStop(dirs)), [`exec ${EXE} stop`]);
  t.deepEqual(summary(planStatus(dirs)), [`exec ${EXE} status`]);
});

test('parseServiceStatus reads WinSW 2 and 3 answers', (t) => {
  t.is(parseServiceStatus('Started\r\n'), 'started');
  t.is(parseServiceStatus('Stopped\r\n'), 'stopped');
  t.is(parseServiceStatus('NonExistent\r\n'), 'not_installed');
  t.is(parseServiceStatus('Active (running)'), 'started');
  t.is(parseServiceStatus('Inactive (stopped)'), 'stopped');
  t.is(parseServiceStatus(''), 'unknown');
});

test('formatPlan prints exactly what would be done, quoted for cmd.exe, without the secret', (t) => {
  const plan: Plan = [
    { kind: 'mkdir', description: 'create the state directory', path: 'C:\\ProgramData\\wuwatch' },
    {
      kind: 'write',
      description: 'write config',
      path: 'C:\\ProgramData\\wuwatch\\agent.json',
      content: '{"s":"x"}\n',
      display: '{"s":"<redacted>"}\n',
    },
    {
      kind: 'copy',
      description: 'copy WinSW',
      from: 'C:\\w\\winsw.exe.config',
      path: 'C:\\i\\svc.exe.config',
      optional: true,
    },
    { kind: 'exec', description: 'stop', argv: [EXE, 'stop'], ignoreFailure: true },
  ];
  t.is(
    formatPlan(plan, 'Install the wuwatch agent'),
    [
      'Install the wuwatch agent (4 steps):',
      '1. mkdir C:\\ProgramData\\wuwatch',
      '       create the state directory',
      '2. write C:\\ProgramData\\wuwatch\\agent.json',
      '       write config',
      '       | {"s":"<redacted>"}',
      '3. copy  C:\\w\\winsw.exe.config -> C:\\i\\svc.exe.config (if present)',
      '       copy WinSW',
      '4. exec  "C:\\Program Files\\wuwatch\\wuwatch-agent-service.exe" stop (failure ignored)',
      '       stop',
      '',
    ].join('\n'),
  );
  const full = formatPlan(planInstall(WIN));
  t.false(full.includes('s3cr3t'));
  t.regex(full, /<stopparentprocessfirst>true<\/stopparentprocessfirst>/);
  t.regex(full, /exec {2}C:\\Windows\\System32\\icacls\.exe C:\\ProgramData\\wuwatch \/inheritance:r/);
});

async function layoutOnDisk(t: { teardown: (fn: () => Promise<void>) => void }): Promise<InstallOptions> {
  const root = await mkdtemp(join(tmpdir(), 'wuw-service-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'pkg'));
  await writeFile(join(root, 'pkg', 'winsw.exe'), 'MZ winsw 2.x');
  return {
    ...WIN,
    installDir: join(root, 'Program Files', 'wuwatch'),
    stateDir: join(root, 'ProgramData', 'wuwatch'),
    winswExe: join(root, 'pkg', 'winsw.exe'),
    pathStyle: 'posix',
  };
}

function serviceRunner(): RecordingRunner {
  return new RecordingRunner()
    .on('icacls.exe', { stdout: 'processed file: …\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n' })
    .on('wuwatch-agent-service.exe', { stdout: '' });
}

test('executePlan runs a fresh install on disk in order; the missing .exe.config is skipped', async (t) => {
  const opts = await layoutOnDisk(t);
  const runner = serviceRunner();
  const seen: string[] = [];
  const outcomes = await executePlan(planInstall(opts), {
    runner,
    onStep: (o) => seen.push(`${o.step.kind}:${o.status}`),
  });
  t.deepEqual(seen, [
    'mkdir:done',
    'mkdir:done',
    'mkdir:done',
    'exec:done',
    'write:done',
    'copy:done',
    'copy:skipped',
    'write:done',
    'exec:done',
    'exec:done',
  ]);
  t.is(outcomes.length, 10);
  t.deepEqual((await readdir(opts.installDir)).sort(), ['wuwatch-agent-service.exe', 'wuwatch-agent-service.xml']);
  t.is(await readFile(join(opts.installDir, 'wuwatch-agent-service.exe'), 'utf8'), 'MZ winsw 2.x');
  t.is(JSON.parse(await readFile(join(opts.stateDir, 'agent.json'), 'utf8')).enrollSecret, 's3cr3t-enroll');
  t.deepEqual(
    runner.calls.map((c) => c.args.at(-1)),
    ['*S-1-5-32-544:(OI)(CI)F', 'install', 'start'],
  );
});

test('an upgrade on disk keeps offsets, spool and token untouched', async (t) => {
  const opts = await layoutOnDisk(t);
  await executePlan(planInstall(opts), { runner: serviceRunner() });
  const state: Record<string, string> = {
    'tail-checkpoint.json': '{"offset":4242}\n',
    'event-positions.json': '{"version":1,"channels":{"System":88240}}\n',
    'token.json': '{"token":"agent-token"}\n',
    'spool/00000001.seg': 'frames',
  };
  await mkdir(join(opts.stateDir, 'spool'));
  for (const [name, content] of Object.entries(state)) await writeFile(join(opts.stateDir, name), content);
  const configBefore = await readFile(join(opts.stateDir, 'agent.json'), 'utf8');
  await writeFile(opts.winswExe, 'MZ winsw newer');

  const runner = serviceRunner();
  await executePlan(planInstall({ ...opts, installed: true, collectorUrl: undefined, enrollSecret: undefined }), {
    runner,
  });
  t.deepEqual(
    runner.calls.map((c) => c.args[0]),
    ['stop', 'start'],
  );
  t.is(await readFile(join(opts.installDir, 'wuwatch-agent-service.exe'), 'utf8'), 'MZ winsw newer');
  for (const [name, content] of Object.entries(state))
    t.is(await readFile(join(opts.stateDir, name), 'utf8'), content, name);
  t.is(await readFile(join(opts.stateDir, 'agent.json'), 'utf8'), configBefore);
});

test('a failing command stops the plan with a catalogued error; an ignored failure does not', async (t) => {
  const runner = new RecordingRunner()
    .on((c) => c.args[0] === 'stop', { code: 1, stdout: 'Stopped' })
    .on((c) => c.args[0] === 'uninstall', {
      code: 1060,
      stderr: 'The specified service does not exist as an installed service.',
    });
  const plan = planUninstall({ installDir: 'C:\\i', stateDir: 'C:\\s' });
  const err = await t.throwsAsync(executePlan(plan, { runner }));
  t.true(isWuwatchError(err, 'COMMAND_FAILED'));
  t.regex(err.message, /C:\\i\\wuwatch-agent-service\.exe uninstall failed: exit code 1060: The specified service/);
  t.is(runner.calls.length, 2);
});

test('a missing WinSW source is reported before anything is copied', async (t) => {
  const opts = await layoutOnDisk(t);
  const step: PlanStep = {
    kind: 'copy',
    description: 'copy',
    from: join(opts.installDir, 'nope.exe'),
    path: join(opts.installDir, 'x.exe'),
  };
  const err = await t.throwsAsync(executePlan([step], { runner: new RecordingRunner() }));
  t.true(isWuwatchError(err, 'FILE_UNREADABLE'));
});
