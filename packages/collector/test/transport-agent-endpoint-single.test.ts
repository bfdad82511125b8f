// Issue 14, finding 6: one agent token could hold 1,000 WebSockets, and closing any one of them marked the machine
// disconnected. Now the newest connection of an agent wins and the older ones close without touching the machine.
import test from 'ava';
import { CLOSE_SUPERSEDED } from '../src/transport/agent-endpoint.js';
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

const connected = async (agentId: string) =>
  (await tc.collector.db.query<{ connected: boolean }>('SELECT connected FROM machines WHERE agent_id = $1', [agentId]))
    .rows[0]?.connected;

test('the newest connection of an agent wins; the older ones close without flapping the machine', async (t) => {
  const { agentId, token } = await enrollAgent(tc, 'srv-many');
  const sockets: TestAgent[] = [];
  for (let i = 0; i < 20; i++) {
    const a = await TestAgent.connect(tc.wsUrl, token);
    await a.hello(agentId, 'srv-many');
    sockets.push(a);
  }
  const closes = await Promise.all(sockets.slice(0, -1).map((a) => a.closed));
  t.true(
    closes.every((c) => c.code === CLOSE_SUPERSEDED),
    JSON.stringify(closes.slice(0, 3)),
  );
  await new Promise((r) => setTimeout(r, 300));
  t.true(await connected(agentId), 'closing the older sockets did not mark the machine disconnected');
  t.deepEqual(
    tc.collector.endpoint.agentIds.filter((id) => id === agentId),
    [agentId],
    'one live connection for the agent',
  );
  const newest = sockets.at(-1)!;
  t.is(await newest.batch(1, detectionEvents(1, 2)), 2, 'the newest keeps delivering');
  newest.close();
  await newest.closed;
  for (let i = 0; i < 50 && (await connected(agentId)); i++) await new Promise((r) => setTimeout(r, 50));
  t.false(await connected(agentId), 'closing the live one does mark it disconnected');
});
