// Regenerates docs/dashboard.png, the README's screenshot: the real dashboard of a running collector with a
// demo-like fleet of real simulated agents showing every status. Run from the repository root (needs PostgreSQL on
// 127.0.0.1 like the tests, and Chromium):
//   node --conditions=wuwatch-source --import tsx packages/collector/test/helpers/dashboard-screenshot.ts [out.png]
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../agent/test/helpers/sim.js';
import { api, startTestCollector } from './collector.js';
import { startSimFleet, type SimMachine } from './dashboard-fleet.js';
import { launchChromium } from './browser.js';

const out = resolve(process.argv[2] ?? fileURLToPath(new URL('../../../../docs/dashboard.png', import.meta.url)));

const dead = (hostname: string): SimMachine => ({ hostname, server: '503', hresult: '0x80244022' });
const ok = (hostname: string): SimMachine => ({ hostname, server: 'healthy', hresult: null });

// Brought up in waves so the chart shows the fleet arriving.
const waves: SimMachine[][] = [
  [ok('DC01'), ok('DC02'), ok('SQL01'), ok('WEB01'), ok('WEB02'), ok('EXCH01'), ok('HV01'), ok('HV02')],
  [dead('FS01'), dead('FS02'), dead('APP03'), dead('APP04'), dead('PRINT01'), dead('SQL02')],
  [
    { hostname: 'OLDCRM01', server: 'refuse', hresult: '0x80072EFD' },
    { hostname: 'BUILD01', server: '500', hresult: '0x8024401F' },
    { hostname: 'BUILD02', server: '500', hresult: '0x8024401F' },
    { hostname: 'TS01', server: 'healthy', hresult: '0x80070005' },
    { hostname: 'FILE-DR', server: 'unset', hresult: '0x80244011' },
    { hostname: 'BACKUP01', server: 'healthy', hresult: null, lastCycleMinutesAgo: 3 * 24 * 60 },
    { hostname: 'ARCHIVE01', server: 'healthy', hresult: null },
    { hostname: 'NEWSRV01', server: 'microsoft', hresult: null, cycles: 0 },
  ],
];

const tc = await startTestCollector(
  // Silence after 1 min so the stopped agent shows within the run (BACKUP01's last success is 3 days old: stale).
  { status: { silentAfterMinutes: 1, sweepSeconds: 1 } },
  { dashboard: { historyIntervalMs: 2000 } },
);
const fleets = [];
try {
  for (const wave of waves) {
    fleets.push(await startSimFleet(tc, wave));
    await new Promise((r) => setTimeout(r, 8000));
  }
  await fleets[2]!.agents.get('ARCHIVE01')!.stop(1000);
  const want = [
    'healthy',
    'wsus_unreachable',
    'wsus_error',
    'detect_failing',
    'misconfigured',
    'detect_stale',
    'silent',
    'unknown',
  ];
  let last = '';
  await waitFor(
    async () => {
      const s = await api<{ byStatus: Record<string, number> }>(tc, 'GET', '/v1/summary');
      const m = await api<{ items: { hostname: string; status: string }[] }>(tc, 'GET', '/v1/machines');
      last = m.body.items.map((i) => `${i.hostname}=${i.status}`).join(' ');
      return want.every((k) => (s.body.byStatus[k] ?? 0) > 0) ? s.body.byStatus : undefined;
    },
    120_000,
    'every status present',
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; machines: ${last}`);
  });
  await new Promise((r) => setTimeout(r, 12_000));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${tc.url}/login`);
    await page.fill('#token', tc.adminToken);
    await page.click('button[type=submit]');
    await page.waitForURL(`${tc.url}/`);
    await mkdir(dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    console.log(`saved ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  for (const f of fleets) await f.close();
  await tc.close();
}
