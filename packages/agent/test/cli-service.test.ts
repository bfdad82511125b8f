import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { capture } from './helpers/capture.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { cycles, makeSimDir } from './helpers/sim.js';

test('install --dry-run prints the full plan: config, ACL, exe and nssm copied, registered with the MSI settings, started', async (t) => {
  const c = capture();
  t.is(
    await main(
      ['install', '--collector', 'https://wuwatch.corp.example:8470', '--enroll-secret', 'wwe_topsecret', '--dry-run'],
      c.io,
    ),
    0,
  );
  const out = c.out();
  t.regex(out, /dry run: nothing was changed/);
  t.regex(out, /icacls\.exe C:\\ProgramData\\wuwatch \/inheritance:r/);
  t.regex(out, /nssm\.exe" install wuwatch-agent "C:\\Program Files\\wuwatch\\wuwatch-agent\.exe"/);
  t.regex(out, /nssm\.exe" set wuwatch-agent AppParameters "run --config \\"C:\\ProgramData\\wuwatch\\agent\.json\\""/);
  t.regex(out, /nssm\.exe" set wuwatch-agent Start SERVICE_DELAYED_AUTO_START/);
  t.regex(out, /nssm\.exe" set wuwatch-agent AppStopMethodConsole 30000/);
  t.regex(out, /net\.exe start wuwatch-agent/);
  t.notRegex(out, /wwe_topsecret/, 'the enrollment secret is redacted');
});

test('install without collector or secret is a usage error; upgrade keeps the state directory', async (t) => {
  const bad = capture();
  t.is(await main(['install', '--dry-run'], bad.io), 2);
  t.regex(bad.err(), /--collector URL --enroll-secret S/);
  const up = capture();
  t.is(await main(['install', '--upgrade', '--dry-run'], up.io), 0);
  t.regex(up.out(), /stop/i);
  t.notRegex(up.out(), /write C:\\ProgramData\\wuwatch\\agent\.json/, 'upgrade without new values keeps agent.json');
});

test('diagnose on the field report machine: WSUS answering 503, detection failing with 0x80244022 → exit 1 and the fix', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-diag-'));
  const dead = await startWsusStandin('503');
  try {
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const dir = await makeSimDir(root, 'srv', dead.url, cycles(day, 0, 2, dead.url, '0x80244022'));
    const c = capture();
    t.is(await main(['diagnose', '--simulate', dir], c.io), 1);
    const out = c.out();
    t.regex(out, /managed by WSUS at http:\/\/127\.0\.0\.1:\d+/);
    t.regex(out, /Specify intranet Microsoft update service location/);
    t.regex(out, /HTTP 503/);
    t.regex(out, /0x80244022/);
    t.regex(out, /Not Configured/);
    const j = capture();
    t.is(await main(['diagnose', '--simulate', dir, '--json'], j.io), 1);
    t.like(JSON.parse(j.out()), { verdict: 'problem', exitCode: 1 });
  } finally {
    await dead.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('diagnose on a healthy WSUS machine exits 0', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-diag-'));
  const ok = await startWsusStandin('healthy');
  try {
    const day = new Date().toISOString().slice(0, 10);
    const dir = await makeSimDir(root, 'srv', ok.url, cycles(day, 0, 1, ok.url, null));
    const c = capture();
    t.is(await main(['diagnose', '--simulate', dir], c.io), 0, c.out());
  } finally {
    await ok.close();
    await rm(root, { recursive: true, force: true });
  }
});
