// Issue 14, finding 4: terminal control codes in agent-supplied strings (the hostname) reached CLI output. A real
// agent socket reports a hostile hostname; `wuwatch machines` and `wuwatch machine` print it with every control
// code shown as text.
import test from 'ava';
import { showControls, showControlsInline } from '../src/escaping/terminal.js';
import { runCli } from './helpers/cli.js';
import { startTestCollector, enrollAgent, TestAgent, type TestCollector } from './helpers/collector.js';
import { HOSTILE_HOSTNAME } from './helpers/hostile.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

// eslint-disable-next-line no-control-regex -- looking for control codes is the point
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

test('showControls makes control codes visible and keeps newlines; the inline form escapes them too', (t) => {
  t.is(showControls('a\u001b[2Jb\r\n\u202Ec'), 'a\\u001b[2Jb\\u000d\n\\u202ec');
  t.is(showControlsInline('a\nb\tc'), 'a\\u000ab\\u0009c');
  t.is(JSON.parse(`"${showControls('\u009b31m')}"`), '\u009b31m', 'the notation is a valid JSON escape');
});

test('a hostile hostname from a real agent is printed by the CLI with no raw control code', async (t) => {
  const { agentId, token } = await enrollAgent(tc, 'srv-hostile');
  const agent = await TestAgent.connect(tc.wsUrl, token);
  await agent.hello(agentId, HOSTILE_HOSTNAME.slice(0, 255));
  agent.close();
  await agent.closed;
  const env = { WUWATCH_URL: tc.url, WUWATCH_TOKEN: tc.adminToken, TZ: 'UTC' };
  const list = await runCli(['machines'], env);
  t.is(list.code, 0, list.err);
  t.false(RAW_CONTROL.test(list.out), list.out);
  t.true(list.out.includes('\\u202e'), 'the bidi override is shown, not applied');
  t.is(list.out.trim().split('\n').length, 3, 'header, rule and one row: no forged row');
  const { rows } = await tc.collector.db.query<{ id: string; hostname: string }>(
    'SELECT id, hostname FROM machines WHERE agent_id = $1',
    [agentId],
  );
  // A row stored before admission sanitised hostnames (or by another path) still prints safely.
  await tc.collector.db.query('UPDATE machines SET hostname = $2 WHERE id = $1', [rows[0]!.id, HOSTILE_HOSTNAME]);
  const one = await runCli(['machine', rows[0]!.id], env);
  t.is(one.code, 0, one.err);
  t.false(RAW_CONTROL.test(one.out), one.out);
  t.true(one.out.includes('\\u001b]0;pwned\\u0007'));
  const json = await runCli(['machine', rows[0]!.id, '--json'], env);
  t.false(RAW_CONTROL.test(json.out));
  t.is((JSON.parse(json.out) as { hostname: string }).hostname, HOSTILE_HOSTNAME, '--json still carries the data');
});
