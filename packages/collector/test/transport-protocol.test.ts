// Protocol negotiation (issue 14): `hello` offers a range, the collector picks one; an agent one version ahead is
// welcomed with the collector's version, and its event kinds the collector does not know are quarantined instead of
// failing the batch.
import test from 'ava';
import { PROTOCOL_VERSION, type CollectorFrame } from '@wuwatch/core';
import {
  startTestCollector,
  enrollAgent,
  TestAgent,
  detectionEvents,
  type TestCollector,
} from './helpers/collector.js';

let tc: TestCollector;
test.before(async () => {
  tc = await startTestCollector();
});
test.after.always(async () => {
  await tc?.close();
});

async function helloWith(protocol: number, minProtocol: number | undefined, host: string) {
  const { agentId, token } = await enrollAgent(tc, host);
  const agent = await TestAgent.connect(tc.wsUrl, token);
  agent.ws.send(
    JSON.stringify({
      type: 'hello',
      protocol,
      ...(minProtocol !== undefined ? { minProtocol } : {}),
      agentId,
      hostname: host,
      osVersion: 'Windows Server 2022',
      agentVersion: 'next',
      mode: 'event',
    }),
  );
  const reply: CollectorFrame = await agent.next();
  return { agent, agentId, reply };
}

test('an agent one version ahead is welcomed with the collector version and delivers; unknown kinds are set aside', async (t) => {
  const { agent, agentId, reply } = await helloWith(PROTOCOL_VERSION + 1, PROTOCOL_VERSION, 'srv-newer');
  t.like(reply, { type: 'welcome', protocol: PROTOCOL_VERSION });
  const events = [
    ...detectionEvents(1, 1),
    { seq: 2, time: new Date().toISOString(), kind: 'reboot_pending', data: { since: 'yesterday' } },
    ...detectionEvents(3, 3),
  ];
  agent.ws.send(JSON.stringify({ type: 'batch', batchId: 1, events }));
  t.like(await agent.next(), { type: 'ack', upTo: 3 });
  const { rows } = await tc.collector.db.query<{ seq: string; kind: string; class: string }>(
    'SELECT seq::text AS seq, kind, class FROM quarantined_events WHERE agent_id = $1',
    [agentId],
  );
  t.deepEqual(rows, [{ seq: '2', kind: 'reboot_pending', class: 'schema' }]);
  agent.close();
});

test('an agent from before negotiation (protocol only) is welcomed', async (t) => {
  const { agent, reply } = await helloWith(PROTOCOL_VERSION, undefined, 'srv-older');
  t.like(reply, { type: 'welcome', protocol: PROTOCOL_VERSION });
  agent.close();
});

test('an agent with no version in common gets a protocol error naming both ranges', async (t) => {
  const { agent, reply } = await helloWith(PROTOCOL_VERSION + 3, PROTOCOL_VERSION + 2, 'srv-far-future');
  t.like(reply, { type: 'error', code: 'WUW_PROTOCOL_VERSION' });
  t.regex((reply as { message: string }).message, /agent speaks \d+\.\.\d+, this collector \d+\.\.\d+/);
  t.is((await agent.closed).code, 1008);
});
