// CLI tables show times for people (local time with its zone, and age), in the zone TZ names; --json keeps ISO.
import test from 'ava';
import { runCli } from './helpers/cli.js';
import { startTestCollector, type TestCollector } from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector({ alerts: { schedule: '0 0 1 1 *' } });
});
test.after.always(async () => {
  await tc?.close();
});

const env = (tz: string) => ({ WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken, TZ: tz });

test('token list: CREATED as "HH:MM <zone>, N s ago" in TZ; --json keeps the ISO time', async (t) => {
  t.is((await runCli(['token', 'create', 'times'], env('UTC'))).code, 0);
  const paris = await runCli(['token', 'list'], env('Europe/Paris'));
  t.is(paris.code, 0, paris.err);
  const row = paris.out.split('\n').find((l) => l.includes('times'))!;
  t.regex(row, /\s\d{2}:\d{2} (CET|CEST), (\d+ s ago|now)\s+-$/);
  const json = await runCli(['token', 'list', '--json'], env('Europe/Paris'));
  const items = JSON.parse(json.out) as { label: string; createdAt: string }[];
  t.regex(items.find((i) => i.label === 'times')!.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
});

test('silence list: UNTIL in the future reads "in 4 h" (or 3 h and some minutes)', async (t) => {
  const added = await runCli(['silence', 'add', '--rule', 'agent_silent', '--for', '4h'], env('UTC'));
  t.is(added.code, 0, added.err);
  const list = await runCli(['silence', 'list'], env('UTC'));
  const row = list.out.split('\n').find((l) => l.includes(added.out.trim()))!;
  t.regex(row, /\d{2}:\d{2} UTC, in (4 h|3 h)/);
});
