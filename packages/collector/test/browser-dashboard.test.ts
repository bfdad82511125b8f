// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a running collector with a
// small real fleet: WSUS stand-ins answering 503, refusing, or healthy, and agents in --simulate mode. Logs in with
// the form, checks the counts against the API, filters, reads a machine's explanation, and saves a screenshot of
// every page under test-output/screenshots/.
import test from 'ava';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { describeHresult } from '@wuwatch/core';
import { waitFor } from '../../agent/test/helpers/sim.js';
import { api, startTestCollector, type TestCollector } from './helpers/collector.js';
import { startSimFleet, type SimFleet } from './helpers/dashboard-fleet.js';
import { launchChromium } from './helpers/browser.js';

const SHOTS = fileURLToPath(new URL('../../../test-output/screenshots/', import.meta.url));
const HOSTILE = '<script>alert(1)</script>';
const EXPECTED: Record<string, string> = {
  'srv-503-a': 'wsus_unreachable',
  'srv-503-b': 'wsus_unreachable',
  'srv-orphan': 'wsus_unreachable',
  'srv-ok': 'healthy',
  'srv-misconf': 'misconfigured',
  [HOSTILE]: 'healthy',
};

interface MachineItem {
  id: string;
  hostname: string;
  status: string;
}

let tc: TestCollector;
let fleet: SimFleet | undefined;
let browser: Browser | undefined;
let page: Page;
const dialogs: string[] = [];

test.before(async () => {
  // The browser first: without it the whole file fails at once, with the install command.
  browser = await launchChromium();
  tc = await startTestCollector({}, { dashboard: { historyIntervalMs: 1000 } });
  fleet = await startSimFleet(tc, [
    { hostname: 'srv-503-a', server: '503', hresult: '0x80244022' },
    { hostname: 'srv-503-b', server: '503', hresult: '0x80244022' },
    { hostname: 'srv-orphan', server: 'refuse', hresult: '0x80072EFD' },
    { hostname: 'srv-ok', server: 'healthy', hresult: null },
    { hostname: 'srv-misconf', server: 'unset', hresult: '0x80244011' },
    { hostname: HOSTILE, server: 'healthy', hresult: null },
  ]);
  await waitFor(
    async () => {
      const r = await api<{ items: MachineItem[] }>(tc, 'GET', '/v1/machines');
      const ok = Object.entries(EXPECTED).every(([h, s]) =>
        r.body.items.some((m) => m.hostname === h && m.status === s),
      );
      return ok ? true : undefined;
    },
    60_000,
    'every simulated machine reaching its expected status',
  );
  await mkdir(SHOTS, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
});

test.after.always(async () => {
  await browser?.close();
  await fleet?.close();
  await tc?.close();
});

const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

async function hostnamesShown(): Promise<string[]> {
  const rows = page.locator('tr[data-hostname]');
  const out: string[] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).getAttribute('data-hostname')) ?? '');
  return out.sort();
}

test.serial('an operator logs in through the form with an API token', async (t) => {
  const token = await api<{ token: string }>(tc, 'POST', '/v1/tokens', { name: 'browser-test' });
  await page.goto(tc.url + '/');
  t.is(new URL(page.url()).pathname, '/login', 'not logged in: sent to the login page');
  await page.fill('#token', 'wwt_wrong');
  await page.click('button[type=submit]');
  t.true(await page.locator('p.error').isVisible());
  await page.fill('#token', token.body.token);
  await shot('login');
  await page.click('button[type=submit]');
  await page.waitForURL(tc.url + '/');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'wuwatch_session');
  t.like(session, { httpOnly: true, sameSite: 'Strict' });
  t.not(session?.value, token.body.token);
});

test.serial('the fleet page shows the counts GET /v1/summary gives, and a chart of them over time', async (t) => {
  await new Promise((r) => setTimeout(r, 2500)); // a few history samples at 1 s
  await page.goto(tc.url + '/');
  const summary = await api<{ total: number; byStatus: Record<string, number> }>(tc, 'GET', '/v1/summary');
  t.is(summary.body.total, 6);
  for (const [status, count] of Object.entries(summary.body.byStatus)) {
    t.is(await page.locator(`a.card[data-status="${status}"] .count`).textContent(), String(count), status);
  }
  t.is(await page.locator('a.card[data-status="total"] .count').textContent(), '6');
  t.true(await page.locator('svg.chart g.series[data-status="wsus_unreachable"] polygon').isVisible());
  await shot('fleet');
});

test.serial(
  'filtering machines by wsus_unreachable shows exactly the machines the API lists with that status',
  async (t) => {
    const api503 = await api<{ items: MachineItem[] }>(tc, 'GET', '/v1/machines?status=wsus_unreachable');
    const expected = api503.body.items.map((m) => m.hostname).sort();
    t.deepEqual(expected, ['srv-503-a', 'srv-503-b', 'srv-orphan']);

    await page.click('a.card[data-status="wsus_unreachable"]');
    await page.waitForURL(/\/machines\?status=wsus_unreachable$/);
    t.deepEqual(await hostnamesShown(), expected, 'from the count on the fleet page');

    await page.goto(tc.url + '/machines');
    t.is((await hostnamesShown()).length, 6);
    await page.selectOption('select[name=status]', 'wsus_unreachable');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/status=wsus_unreachable/);
    t.deepEqual(await hostnamesShown(), expected, 'from the filter form');
    await shot('machines-wsus_unreachable');
  },
);

test.serial('a hostile hostname is shown as text and runs nothing', async (t) => {
  await page.goto(tc.url + '/machines?status=healthy');
  t.true(await page.getByRole('link', { name: HOSTILE, exact: true }).isVisible());
  await page.getByRole('link', { name: HOSTILE, exact: true }).click();
  t.is(await page.locator('h1').textContent(), HOSTILE);
  t.deepEqual(dialogs, []);
});

test.serial('the page of a machine behind the 503 server explains 0x80244022 and how to fix it', async (t) => {
  await page.goto(tc.url + '/machines?status=wsus_unreachable');
  await page.getByRole('link', { name: 'srv-503-a', exact: true }).click();
  await page.waitForURL(/\/machines\/[^/?]+$/);
  t.is(await page.locator('h1').textContent(), 'srv-503-a');
  const d = describeHresult('0x80244022');
  const explain = page.locator('article.explain[data-code="0x80244022"]');
  t.true(await explain.isVisible());
  const text = (await explain.innerText()).replace(/\s+/g, ' ');
  t.true(text.includes('WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL'));
  t.true(text.includes(d.description));
  t.true(text.includes(d.remedy.split('\n')[0]!), 'the fix');
  t.true((await explain.locator('.fix li').count()) >= 3, 'the fix steps as a list');
  t.regex(await page.locator('dd[data-value="WUServer"]').innerText(), /^http:\/\/127\.0\.0\.1:\d+$/);
  t.is(await page.locator('dd[data-value="UseWUServer"]').innerText(), '1');
  t.true(await page.locator('svg.chart g.day[data-failed="3"]').isVisible(), 'three failures in the timeline');
  t.true(await page.locator('svg.probe g.step[data-ok="no"]').isVisible(), 'the failed probe step');
  await shot('machine-srv-503-a');
});

test.serial('the WSUS page highlights the orphan pointer (one machine, unreachable)', async (t) => {
  await page.click('nav a[href="/wsus"]');
  await page.waitForURL(/\/wsus$/);
  const refused = fleet!.urls.get('refuse')!;
  const row = page.locator(`tr.orphan[data-url="${refused}"]`);
  t.true(await row.isVisible());
  t.true((await row.innerText()).includes('orphan pointer'));
  t.is(await page.locator('tr.orphan').count(), 1, 'the 503 server has two machines: dead, but not an orphan');
  await shot('wsus');
});

test.serial('logging out ends the session', async (t) => {
  await page.click('form.logout button');
  await page.waitForURL(/\/login$/);
  await page.goto(tc.url + '/wsus');
  t.is(new URL(page.url()).pathname, '/login');
  t.deepEqual(dialogs, [], 'no script ran on any page');
});
