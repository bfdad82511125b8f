// The older-server path end to end: wuwatch-export.cmd run by Wine's cmd.exe on a Windows 7 prefix (the built-in
// reg, netsh and copy of an old server, whose Group Policy points at a WSUS answering 503 and whose log shows
// 0x80244022), writing into a share; one agent in files mode reading that share reports every folder as a machine to
// a real collector, which shows them wsus_unreachable.
import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startTestCollector } from '../../collector/test/helpers/collector.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { cycles, waitFor } from './helpers/sim.js';
import { ROOT, WinePrefix, windowsPackage, winePath } from './helpers/wine.js';
import { assessUpdateSources } from '@wuwatch/core';
import { folderUtcOffset, machineFolders } from '../src/cli/files-mode.js';
import { RecordingRunner } from '../src/platform/index.js';
import { createSources } from '../src/sources/index.js';
import { mirrorLog } from '../src/cli/log-mirror.js';

test.before(() => {
  // Builds (or finds up to date) the package, and with it the Wine prefix the test copies.
  windowsPackage();
});

type MachineItem = { id: string; hostname: string; status: string; last_detection_hresult: string | null };

test('wuwatch-export.cmd on a Windows 7 prefix → share → files-mode agent → machines wsus_unreachable with 0x80244022', async (t) => {
  const tc = await startTestCollector();
  const wsus = await startWsusStandin('503');
  const wine = await WinePrefix.create('win7');
  const work = await mkdtemp(join(tmpdir(), 'wuwatch-files-'));
  const share = join(work, 'share');
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    // The old server: WSUS policy by Group Policy, a legacy log with failing detections.
    const key = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
    for (const argv of [
      ['reg', 'add', key, '/v', 'WUServer', '/t', 'REG_SZ', '/d', wsus.url, '/f'],
      ['reg', 'add', key, '/v', 'WUStatusServer', '/t', 'REG_SZ', '/d', wsus.url, '/f'],
      ['reg', 'add', `${key}\\AU`, '/v', 'UseWUServer', '/t', 'REG_DWORD', '/d', '1', '/f'],
    ]) {
      const r = await wine.wine(argv);
      t.is(r.code, 0, r.stdout + r.stderr);
    }
    // And the MDM (Intune) store beside it, as Policy CSP - Update writes it: a deferral, and MDM winning conflicts.
    const mdmKey = 'HKLM\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device';
    const mdmValues = [
      ['reg', 'add', `${mdmKey}\\Update`, '/v', 'DeferQualityUpdatesPeriodInDays', '/t', 'REG_DWORD', '/d', '7', '/f'],
      ['reg', 'add', `${mdmKey}\\Update`, '/v', 'ExcludeWUDriversInQualityUpdate', '/t', 'REG_DWORD', '/d', '1', '/f'],
      ['reg', 'add', `${mdmKey}\\ControlPolicyConflict`, '/v', 'MDMWinsOverGP', '/t', 'REG_DWORD', '/d', '1', '/f'],
    ];
    for (const argv of mdmValues) {
      const r = await wine.wine(argv);
      t.is(r.code, 0, r.stdout + r.stderr);
    }
    const today = new Date().toISOString().slice(0, 10);
    await writeFile(join(wine.driveC, 'windows', 'WindowsUpdate.log'), cycles(today, 0, 2, wsus.url, '0x80244022'));
    await copyFile(
      join(ROOT, 'packaging/windows/older-server/wuwatch-export.cmd'),
      join(wine.driveC, 'wuwatch-export.cmd'),
    );
    await mkdir(share); // the share exists; each server makes its own folder in it
    const exported = await wine.wine(['cmd', '/c', 'C:\\wuwatch-export.cmd', winePath(share)]);
    t.is(exported.code, 0, exported.stdout + exported.stderr);
    // A second server with the same Group Policy and no MDM store at all (most old servers): the missing keys must
    // not fail the script, and leave empty exports.
    for (const key of ['Update', 'ControlPolicyConflict']) {
      const r = await wine.wine(['reg', 'delete', `${mdmKey}\\${key}`, '/f']);
      t.is(r.code, 0, r.stdout + r.stderr);
    }
    const second = await wine.wine([
      'cmd',
      '/c',
      `set COMPUTERNAME=SRV-2012R2&& C:\\wuwatch-export.cmd ${winePath(share)}`,
    ]);
    t.is(second.code, 0, second.stdout + second.stderr);

    const { names } = await machineFolders(share);
    t.is(names.length, 2, names.join(','));
    t.true(names.includes('SRV-2012R2'));
    const first = names.find((n) => n !== 'SRV-2012R2')!;
    const mdmOf = async (n: string) => {
      const sources = createSources({
        platform: 'simulate',
        simulateDir: join(share, n),
        runner: new RecordingRunner(),
        stateDir: work,
      });
      return { policy: await sources.policy.read(), mdm: await sources.policy.readMdm() };
    };
    const withMdm = await mdmOf(first);
    t.like(withMdm.mdm, {
      present: true,
      mdmWinsOverGp: 1,
      update: { DeferQualityUpdatesPeriodInDays: 7, ExcludeWUDriversInQualityUpdate: 1 },
    });
    // Core's assessment reads both stores: WSUS by Group Policy plus an MDM deferral is Dual Scan (build unknown).
    const assessed = assessUpdateSources(withMdm);
    t.true(
      assessed.findings.some((f) => f.code === 'MDM_POLICY'),
      JSON.stringify(assessed.findings),
    );
    t.true(
      assessed.findings.some((f) => f.code === 'DUAL_SCAN_POSSIBLE'),
      JSON.stringify(assessed.findings),
    );
    t.like((await mdmOf('SRV-2012R2')).mdm, { present: false, mdmWinsOverGp: null });
    for (const n of names) {
      const files = await readdir(join(share, n));
      for (const f of ['WindowsUpdate.log', 'policy.reg', 'mdm.reg', 'mdm-conflict.reg', 'proxy.txt'])
        t.true(files.includes(f), `${n}/${f}`);
      t.false(
        files.some((f) => f.endsWith('.tmp')),
        'no half-written files left',
      );
    }

    const secret = (await api<{ secret: string }>(tc, 'POST', '/v1/enroll-secrets', { comment: 'files' })).body.secret;
    const args = [join(ROOT, 'packages/agent/bin/wuwatch-agent.js'), 'run', '--files', share];
    args.push('--collector', tc.url, '--enroll-secret', secret, '--state-dir', join(work, 'state'));
    const a = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    agent = a;
    let output = '';
    a.stdout.on('data', (d: Buffer) => (output += d.toString()));
    a.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const machines = await waitFor(
      async () => {
        const r = await api<{ items: MachineItem[] }>(tc, 'GET', '/v1/machines');
        // The probe alone makes a machine wsus_unreachable, possibly before its log's detections are stored: wait
        // for both.
        const ok = r.body.items.filter(
          (m) => names.includes(m.hostname) && m.status === 'wsus_unreachable' && m.last_detection_hresult !== null,
        );
        return ok.length === names.length ? ok : undefined;
      },
      60_000,
      'both old servers wsus_unreachable, with their detections stored',
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${output.slice(-3000)}`);
    });
    t.is(machines.length, 2);
    for (const m of machines) t.is(m.last_detection_hresult, '0x80244022', m.hostname);
    // The files-mode agent sent the MDM store with the policy, and logged core's assessment of both.
    const detail = await api<{ recentEvents: { kind: string; data: { mdm?: { present: boolean } } }[] }>(
      tc,
      'GET',
      `/v1/machines/${machines.find((m) => m.hostname === first)!.id}`,
    );
    t.true(detail.body.recentEvents.some((e) => e.kind === 'policy' && e.data.mdm?.present === true));
    const policyLine = output
      .split('\n')
      .filter((l) => l.includes('Windows Update policy read') && l.includes(`"machine":"${first}"`));
    t.regex(policyLine.join('\n'), /"sourceFindings":\[[^\]]*"DUAL_SCAN_POSSIBLE"/);
    // State lives outside the share: the old servers cannot touch an agent's token.
    for (const n of names) t.false((await readdir(join(share, n))).includes('state'));
    t.deepEqual((await readdir(join(work, 'state', 'files'))).sort(), [...names].sort());
  } finally {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await wine.dispose();
    await wsus.close();
    await tc.close();
    await rm(work, { recursive: true, force: true });
  }
});

test('the log mirror appends what a new copy adds, and starts over when the copy is a different log', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-mirror-'));
  try {
    const src = join(dir, 'share.log');
    const dst = join(dir, 'state', 'mirror.log');
    t.is(await mirrorLog(src, dst), 'missing');
    await writeFile(src, 'line 1\r\n');
    t.is(await mirrorLog(src, dst), 'replaced');
    t.is(await mirrorLog(src, dst), 'unchanged');
    // The script replaces the share's file by a longer copy: only the new bytes go to the mirror.
    await writeFile(src + '.new', 'line 1\r\nline 2\r\n');
    await copyFile(src + '.new', src);
    t.is(await mirrorLog(src, dst), 'appended');
    t.is(await readFile(dst, 'utf8'), 'line 1\r\nline 2\r\n');
    await appendFile(src, 'line 3\r\n');
    t.is(await mirrorLog(src, dst), 'appended');
    // Rotated on the server: a different start means a new log.
    await writeFile(src, 'other 1\r\n');
    t.is(await mirrorLog(src, dst), 'replaced');
    t.is(await readFile(dst, 'utf8'), 'other 1\r\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('machine folders must look like computer names; utc-offset.txt is read when it is a sane number', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-folders-'));
  try {
    for (const n of ['SRV-OLD-1', 'srv.corp', '..hidden', 'has space']) {
      await mkdir(join(dir, n));
    }
    await writeFile(join(dir, 'not-a-folder.txt'), '');
    const { names, skipped } = await machineFolders(dir);
    t.deepEqual(names, ['SRV-OLD-1', 'srv.corp']);
    t.deepEqual(skipped.sort(), ['..hidden', 'has space']);
    await writeFile(join(dir, 'SRV-OLD-1', 'utc-offset.txt'), '60\r\n');
    t.deepEqual(await folderUtcOffset(join(dir, 'SRV-OLD-1')), { minutes: 60, known: true });
    await writeFile(join(dir, 'SRV-OLD-1', 'utc-offset.txt'), '99999\r\n');
    t.deepEqual(await folderUtcOffset(join(dir, 'SRV-OLD-1')), { minutes: 0, known: false });
    t.deepEqual(await folderUtcOffset(join(dir, 'srv.corp')), { minutes: 0, known: false });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
