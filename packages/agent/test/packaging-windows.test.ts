// The Windows package for real, under Wine: the SEA exe's commands, and the MSI on a Windows 7 prefix (refused) and
// a Windows 10 prefix (installed as a running nssm service that enrolls with a real collector on 127.0.0.1, upgraded
// in place by a newer MSI, uninstalled without losing state, purged on request).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { api, startTestCollector, type TestCollector } from '../../collector/test/helpers/collector.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { cycles, makeSimDir, waitFor } from './helpers/sim.js';
import {
  NSSM,
  ROOT,
  VERSION,
  WinePrefix,
  msiOfVersion,
  windowsPackage,
  winePath,
  type WindowsPackage,
} from './helpers/wine.js';

const run = promisify(execFile);
let pkg: WindowsPackage;

test.before(() => {
  pkg = windowsPackage();
});

/** `wuwatch machines --json` through the real CLI. */
async function machines(tc: TestCollector): Promise<{ hostname: string; id: string; status: string }[]> {
  const { stdout } = await run(
    process.execPath,
    [join(ROOT, 'packages/collector/bin/wuwatch.js'), 'machines', '--json'],
    {
      env: { ...process.env, WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken },
    },
  );
  const parsed = JSON.parse(stdout) as { items?: { hostname: string; id: string; status: string }[] } | unknown[];
  return (Array.isArray(parsed) ? parsed : (parsed.items ?? [])) as { hostname: string; id: string; status: string }[];
}

async function enrollSecret(tc: TestCollector): Promise<string> {
  return (await api<{ secret: string }>(tc, 'POST', '/v1/enroll-secrets', { comment: 'wine' })).body.secret;
}

test('the SEA exe answers --version, explain, parse-log and diagnose under Wine, with no Node installed', async (t) => {
  const wine = await WinePrefix.create();
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-sea-'));
  const wsus = await startWsusStandin('503');
  try {
    const version = await wine.wine([pkg.exe, '--version']);
    t.is(version.code, 0, version.stderr);
    t.is(
      version.stdout.trim(),
      `wuwatch-agent ${VERSION} (node v${(await readFile(join(ROOT, '.node-version'), 'utf8')).trim()}, win32-x64)`,
    );

    const explain = await wine.wine([pkg.exe, 'explain', '--json', '0x80244022']);
    t.is(explain.code, 0, explain.stderr);
    t.like(JSON.parse(explain.stdout), { code: '0x80244022', name: 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL' });

    const fixture = join(
      ROOT,
      'packages',
      'core',
      'test',
      'fixtures',
      'shared',
      'wulog',
      'pasted',
      'field-report-80244022.log',
    );
    const parsed = await wine.wine([pkg.exe, 'parse-log', winePath(fixture)]);
    t.is(parsed.code, 0, parsed.stderr);
    const findings = parsed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; hresult?: string });
    t.true(findings.some((f) => f.kind === 'detection' && f.hresult === '0x80244022'));

    const missing = await wine.wine([pkg.exe, 'parse-log', 'C:\\no\\such.log']);
    t.is(missing.code, 2);
    t.regex(missing.stderr, /such\.log/);

    const today = new Date().toISOString().slice(0, 10);
    const sim = await makeSimDir(root, 'srv-old-wsus', wsus.url, cycles(today, 0, 2, wsus.url, '0x80244022'));
    const diag = await wine.wine([pkg.exe, 'diagnose', '--json', '--simulate', winePath(sim)]);
    t.is(diag.code, 1, diag.stderr);
    const verdict = JSON.parse(diag.stdout) as { verdict: string };
    t.is(verdict.verdict, 'problem');
    t.regex(diag.stdout, /0x80244022/);
    t.regex(diag.stdout, /503/);

    // On the prefix itself: Wine's reg.exe (key not found on stdout), netsh and wevtutil (which print nothing).
    const host = await wine.wine([pkg.exe, 'diagnose', '--json']);
    const onHost = JSON.parse(host.stdout) as { verdict: string; findings: { code: string }[] };
    t.false(
      onHost.findings.some((f) => f.code === 'POLICY_UNREADABLE'),
      'no policy key is no policy, not an error',
    );
    t.true(
      onHost.findings.some((f) => f.code === 'EVENT_CHANNEL_UNKNOWN'),
      'the channel state that could not be read is said',
    );
  } finally {
    await wsus.close();
    await wine.dispose();
    await rm(root, { recursive: true, force: true });
  }
});

test('the MSI refuses Windows 7 with a message that names the way for older servers, and installs nothing', async (t) => {
  const wine = await WinePrefix.create('win7');
  try {
    const r = await wine.msiexec(
      '/i',
      winePath(pkg.msi),
      '/qn',
      'COLLECTOR_URL=http://127.0.0.1:9',
      'ENROLL_SECRET=wwe_x',
    );
    // 1603 (fatal error during installation), as Unix's 8-bit exit status shows it.
    t.is(r.code, 1603 & 0xff, 'msiexec fails the install');
    const log = r.log;
    t.regex(log, /Property\(S\): WINDOWSBUILD = 7601/, 'the real build number was read');
    t.regex(log, /LaunchConditions\. Return value 0/, 'the launch condition stopped the install');
    // The message Windows shows (Wine's msiexec does not log it): read from the MSI's LaunchCondition table.
    const { stdout: table } = await run('msiinfo', ['export', pkg.msi, 'LaunchCondition']);
    t.regex(table, /WINDOWSBUILD >= 14393\)\tThe wuwatch agent needs Windows 10 or Windows Server 2016/);
    t.regex(table, /Servers older than 2016/);
    t.deepEqual(wine.list('Program Files', 'wuwatch'), []);
    t.is(await wine.serviceState('wuwatch-agent'), null);
  } finally {
    await wine.dispose();
  }
});

// The MSI's life on one Windows 10 prefix, in steps (each well inside the test timeout), sharing one collector.
interface MsiRun {
  tc: TestCollector;
  wine: WinePrefix;
  oldDir: string;
  stateDir: string;
  machineId: string;
  credentials: string;
  agentJson: unknown;
}
let msiRun: MsiRun | undefined;

test.after.always(async () => {
  if (!msiRun) return;
  await msiRun.wine.dispose();
  await msiRun.tc.close();
  await rm(msiRun.oldDir, { recursive: true, force: true });
});

test.serial('MSI 1/3 on Windows 10: an older version installs as a running nssm service that enrolls', async (t) => {
  const tc = await startTestCollector();
  const wine = await WinePrefix.create('win10');
  const oldDir = await mkdtemp(join(tmpdir(), 'wuwatch-oldmsi-'));
  const stateDir = join(wine.driveC, 'ProgramData', 'wuwatch');
  msiRun = { tc, wine, oldDir, stateDir, machineId: '', credentials: '', agentJson: null };
  const oldMsi = msiOfVersion(pkg.exe, '0.0.9', oldDir);
  const secret = await enrollSecret(tc);
  const install = await wine.msiexec(
    '/i',
    winePath(oldMsi),
    '/qn',
    `COLLECTOR_URL=${tc.url}`,
    `ENROLL_SECRET=${secret}`,
  );
  t.is(install.code, 0, install.log.slice(-3000));
  t.deepEqual(wine.list('Program Files', 'wuwatch'), ['nssm.exe', 'wuwatch-agent.exe']);
  t.is(await wine.serviceState('wuwatch-agent'), 'RUNNING');
  const params = await wine.wine([
    'reg',
    'query',
    'HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuwatch-agent\\Parameters',
  ]);
  t.regex(params.stdout, /Application\s+REG_\w+\s+C:\\Program Files\\wuwatch\\wuwatch-agent\.exe/);
  t.regex(params.stdout, /AppParameters\s+REG_\w+\s+run --config "C:\\ProgramData\\wuwatch\\agent\.json"/);
  const svc = await wine.wine(['reg', 'query', 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuwatch-agent']);
  t.regex(svc.stdout, /DelayedAutostart\s+REG_DWORD\s+0x1/);
  t.regex(svc.stdout, /ImagePath\s+REG_\w+\s+"?C:\\Program Files\\wuwatch\\nssm\.exe/);
  msiRun.agentJson = JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8'));
  t.like(msiRun.agentJson, { collectorUrl: tc.url, stateDir: 'C:\\ProgramData\\wuwatch' });
  const seen = await waitFor(async () => (await machines(tc))[0], 60_000, 'the installed agent in wuwatch machines');
  msiRun.credentials = await readFile(join(stateDir, 'credentials.json'), 'utf8');
  t.regex((JSON.parse(msiRun.credentials) as { agentId: string }).agentId, /\S/);
  t.is((await machines(tc)).length, 1);
  msiRun.machineId = seen.id;
});

test.serial('MSI 2/3: the current MSI upgrades it in place, keeping agent.json, the token and the spool', async (t) => {
  if (!msiRun?.machineId) return t.fail('the install step failed');
  const { tc, wine, stateDir, machineId } = msiRun;
  const upgrade = await wine.msiexec('/i', winePath(pkg.msi), '/qn');
  t.is(upgrade.code, 0, upgrade.log.slice(-3000));
  t.is((await wine.installedProducts('wuwatch agent')).length, 1, 'the old product is gone, the new one registered');
  t.is(await wine.serviceState('wuwatch-agent'), 'RUNNING');
  t.is(await readFile(join(stateDir, 'credentials.json'), 'utf8'), msiRun.credentials, 'same token after the upgrade');
  t.deepEqual(JSON.parse(await readFile(join(stateDir, 'agent.json'), 'utf8')), msiRun.agentJson);
  // The spool (and its sequence numbers) carried over: the upgraded agent's own agent_started event continues the
  // sequence, so the collector takes it instead of ignoring it as an (agent, seq) it already has.
  const starts = await waitFor(
    async () => {
      const m = await api<{ recentEvents: { seq: number | string; kind: string }[] }>(
        tc,
        'GET',
        `/v1/machines/${machineId}`,
      );
      const s = m.body.recentEvents.filter((e) => e.kind === 'agent_started').map((e) => Number(e.seq));
      return s.length >= 2 ? s : undefined;
    },
    60_000,
    'the upgraded agent reporting in',
  );
  t.is(new Set(starts).size, starts.length);
  t.true((await readdir(join(stateDir, 'spool'))).length > 0, 'spool kept');
  t.deepEqual(
    (await machines(tc)).map((m) => m.id),
    [machineId],
    'still one machine: no second enrollment',
  );
});

test.serial(
  'MSI 3/3: uninstall removes service and binaries and keeps state; reinstall reuses it; PURGE=1 deletes it',
  async (t) => {
    if (!msiRun?.machineId) return t.fail('the install step failed');
    const { wine, stateDir } = msiRun;
    const uninstall = await wine.msiexec('/x', winePath(pkg.msi), '/qn');
    t.is(uninstall.code, 0, uninstall.log.slice(-3000));
    t.is(await wine.serviceState('wuwatch-agent'), null);
    t.deepEqual(wine.list('Program Files', 'wuwatch'), []);
    t.is(await readFile(join(stateDir, 'credentials.json'), 'utf8'), msiRun.credentials, 'state kept after uninstall');
    // The stop was graceful: nssm's Ctrl+C reached the agent, which drained and said so.
    const serviceLog = await readFile(join(stateDir, 'logs', 'service.log'), 'utf8');
    t.regex(serviceLog, /"signal":"SIGINT".*"msg":"stopping"/);
    t.regex(serviceLog, /"msg":"agent stopped"/);
    const again = await wine.msiexec('/i', winePath(pkg.msi), '/qn');
    t.is(again.code, 0, again.log.slice(-3000));
    t.is(await wine.serviceState('wuwatch-agent'), 'RUNNING');
    const purge = await wine.msiexec('/x', winePath(pkg.msi), '/qn', 'PURGE=1');
    t.is(purge.code, 0, purge.log.slice(-3000));
    t.deepEqual(wine.list('ProgramData', 'wuwatch'), []);
  },
);

// The non-MSI path on the same wrapper, in two steps.
let exeRun: { tc: TestCollector; wine: WinePrefix; installed: boolean } | undefined;

test.after.always(async () => {
  if (!exeRun) return;
  await exeRun.wine.dispose();
  await exeRun.tc.close();
});

test.serial('wuwatch-agent.exe install (no MSI) registers the same nssm service, which enrolls', async (t) => {
  const tc = await startTestCollector();
  const wine = await WinePrefix.create('win10');
  exeRun = { tc, wine, installed: false };
  const secret = await enrollSecret(tc);
  const install = await wine.wine([
    pkg.exe,
    'install',
    '--collector',
    tc.url,
    '--enroll-secret',
    secret,
    '--nssm',
    winePath(NSSM),
  ]);
  t.is(install.code, 0, install.stdout + install.stderr);
  t.deepEqual(wine.list('Program Files', 'wuwatch'), ['nssm.exe', 'wuwatch-agent.exe']);
  // Wine's net.exe returns while the service is still START_PENDING.
  const state = await waitFor(
    async () => ((await wine.serviceState('wuwatch-agent')) === 'RUNNING' ? 'RUNNING' : undefined),
    30_000,
    'the service running',
  );
  t.is(state, 'RUNNING');
  const params = await wine.wine([
    'reg',
    'query',
    'HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuwatch-agent\\Parameters',
  ]);
  t.regex(params.stdout, /AppParameters\s+REG_\w+\s+run --config "C:\\ProgramData\\wuwatch\\agent\.json"/);
  t.regex(params.stdout, /AppStopMethodConsole\s+REG_DWORD\s+0x7530/);
  const listed = await waitFor(async () => {
    const m = await machines(tc);
    return m.length === 1 ? m : undefined;
  }, 60_000);
  t.is(listed.length, 1);
  exeRun.installed = true;
});

test.serial('wuwatch-agent.exe status and uninstall: the service goes, the state stays', async (t) => {
  if (!exeRun?.installed) return t.fail('the install step failed');
  const { wine } = exeRun;
  const exe = 'C:\\Program Files\\wuwatch\\wuwatch-agent.exe';
  const status = await wine.wine([exe, 'status']);
  t.is(status.stdout.trim(), 'wuwatch-agent service: started', status.stderr);
  t.is(status.code, 0);
  const started = Date.now();
  const uninstall = await wine.wine([exe, 'uninstall']);
  t.is(uninstall.code, 0, uninstall.stdout + uninstall.stderr);
  t.log(`uninstall (stop with drain, remove) took ${Date.now() - started} ms`);
  t.is(await wine.serviceState('wuwatch-agent'), null);
  t.true(wine.list('ProgramData', 'wuwatch').includes('credentials.json'), 'state kept');
});

test('the signing hook: with a certificate configured the exe and the MSI carry an Authenticode signature by it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-sign-'));
  try {
    // A throwaway self-signed code-signing certificate.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=wuwatch test signer',
      '-addext',
      'extendedKeyUsage=codeSigning',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const out = join(dir, 'out');
    await run(
      process.execPath,
      [join(ROOT, 'packaging/windows/build.mjs'), '--exe', pkg.exe, '--version', '0.0.8', '--out', out],
      {
        cwd: ROOT,
        env: { ...process.env, WUWATCH_SIGN_CERT: join(dir, 'cert.pem'), WUWATCH_SIGN_KEY: join(dir, 'key.pem') },
      },
    );
    for (const file of ['wuwatch-agent.exe', 'wuwatch-agent-0.0.8-x64.msi']) {
      const { stdout } = await run('osslsigncode', [
        'verify',
        '-CAfile',
        join(dir, 'cert.pem'),
        '-in',
        join(out, file),
      ]);
      t.regex(stdout, /Signature verification: ok/, file);
      t.regex(stdout, /CN=wuwatch test signer/, file);
    }
    // Unsigned otherwise: the build's own exe has no signature at all (node.exe's was removed before injection).
    const unsigned = await run('osslsigncode', ['verify', '-in', pkg.exe]).then(
      () => 'signed',
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    t.regex(unsigned, /No signature found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
