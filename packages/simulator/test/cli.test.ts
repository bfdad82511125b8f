// wuwatch-simulate: usage, the printed scenario, option errors, and a bounded run against a collector.
import test from 'ava';
import { startTestCollector } from '../../collector/test/helpers/collector.js';
import { main, type SimulateIo } from '../src/cli/main.js';
import { parseScenario } from '../src/scenario/parse.js';

function io(env: NodeJS.ProcessEnv = {}): SimulateIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    interrupted: new Promise(() => undefined),
    out: () => out,
    err: () => err,
  };
}

test('--help prints the options, including the time scale and its default', async (t) => {
  const x = io();
  t.is(await main(['--help'], x), 0);
  t.regex(x.out(), /--time-scale X +simulated seconds per real second \(default 3960/);
});

test('--print-scenario prints the built-in scenario as a valid scenario file', async (t) => {
  const x = io();
  t.is(await main(['--print-scenario'], x), 0);
  t.is(parseScenario(JSON.parse(x.out())).name, 'default');
});

test('missing connection options print the usage; bad numbers and scenarios are refused with exit code 2', async (t) => {
  const a = io();
  t.is(await main([], a), 2);
  t.regex(a.err(), /^Usage: wuwatch-simulate/);
  const b = io();
  t.is(await main(['--collector', 'http://127.0.0.1:1', '--token', 'x', '--agents', 'many'], b), 2);
  t.regex(b.err(), /--agents must be a number/);
  const c = io();
  t.is(await main(['--collector', 'http://127.0.0.1:1', '--token', 'x', '--scenario', '/nonexistent.json'], c), 2);
  t.regex(c.err(), /Cannot read \/nonexistent\.json/);
});

test('a bounded run enrolls the fleet with the admin token and ends with the status table', async (t) => {
  const tc = await startTestCollector();
  t.teardown(() => tc.close());
  const x = io({ WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken });
  const code = await main(['--agents', '13', '--duration', '4', '--time-scale', String((22 * 3600) / 4)], x);
  t.is(code, 0, x.err());
  t.regex(x.out(), /13 agents running \(scenario "default", time scale 19800: one detection interval every 4\.0 s\)/);
  t.regex(x.out(), /Fleet status: 1[3-9] machines/);
  t.regex(x.out(), /Machines that are not healthy \(first reason\):\n {2}branch-/);
  t.regex(x.out(), /stopping the fleet…\n$/);
});
