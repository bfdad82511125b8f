// Property-based tests (fast-check) against a real collector on real PostgreSQL (issue 14): whatever a batch holds,
// the good agent sending it is acknowledged and kept connected, every event is either stored valid or quarantined,
// and whatever bytes another connection sends, the collector keeps serving everyone else.
import test from 'ava';
import fc from 'fast-check';
import { checkEventData, WireEvent } from '@wuwatch/core';
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

const nasty = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u001b[2J',
  '\u009b',
  '\u202e',
  '<!channel>',
  '\r\n',
  '\\u0000',
);
const nastyString = fc.array(fc.oneof(fc.string({ maxLength: 8 }), nasty), { maxLength: 6 }).map((p) => p.join(''));
const time = fc.oneof(
  fc.constant(new Date().toISOString()),
  fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '1970-01-01T00:00:00Z', 'yesterday', ''),
  fc
    .date({ min: new Date(-62_000_000_000_000), max: new Date(250_000_000_000_000), noInvalidDate: true })
    .map((d) => d.toISOString()),
);
const kind = fc.constantFrom('detection', 'policy', 'probe', 'wua', 'settings', 'install', 'from_the_future', '');
const data = fc.oneof(
  fc.dictionary(nastyString, fc.oneof(nastyString, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }),
  fc.constant({ policy: { windowsUpdate: { WUServer: 5 }, au: {} } }),
  fc.constant({ policy: 'nope' }),
  fc.anything({ maxDepth: 2 }),
);
/** Events without seqs: each run numbers them after the previous run's. */
const batchBody = fc.array(
  fc.oneof(
    fc.record({ time, kind, data }),
    fc.constant(null).map(() => {
      const { seq: _seq, ...good } = detectionEvents(1, 1)[0]!;
      return good;
    }),
  ),
  { minLength: 1, maxLength: 12 },
);

const count = async (sql: string, agentId: string) =>
  Number((await tc.collector.db.query<{ n: string }>(sql, [agentId])).rows[0]!.n);

test('any batch content: acked, connection kept, each event stored valid or quarantined, never both', async (t) => {
  t.timeout(180_000);
  const { agentId, token } = await enrollAgent(tc, 'srv-prop');
  const agent = await TestAgent.connect(tc.wsUrl, token);
  await agent.hello(agentId, 'srv-prop');
  let seq = 0;
  let batchId = 0;
  await fc.assert(
    fc.asyncProperty(batchBody, async (body) => {
      const events = body.map((e) => ({ ...e, seq: ++seq }));
      agent.ws.send(JSON.stringify({ type: 'batch', batchId: ++batchId, events }));
      const reply = await agent.next();
      if (reply.type !== 'ack' || reply.upTo !== seq)
        throw new Error(`expected ack up to ${seq}: ${JSON.stringify(reply)}`);
      const stored = await count('SELECT count(*) AS n FROM events WHERE agent_id = $1', agentId);
      const set = await count('SELECT count(*) AS n FROM quarantined_events WHERE agent_id = $1', agentId);
      if (stored + set !== seq) throw new Error(`${stored} stored + ${set} quarantined != ${seq} sent`);
    }),
    { numRuns: 40 },
  );
  t.is(agent.ws.readyState, agent.ws.OPEN, 'the good agent was never closed');
  const both = await count(
    'SELECT count(*) AS n FROM events e JOIN quarantined_events q USING (agent_id, seq) WHERE e.agent_id = $1',
    agentId,
  );
  t.is(both, 0);
  // Everything stored is valid by the protocol's own schemas, and its time is within the window.
  const { rows } = await tc.collector.db.query<{
    seq: string;
    time: Date;
    kind: string;
    data: Record<string, unknown>;
  }>('SELECT seq::text AS seq, "time", kind, data FROM events WHERE agent_id = $1', [agentId]);
  for (const r of rows) {
    const e = { seq: Number(r.seq), time: r.time.toISOString(), kind: r.kind, data: r.data };
    t.true(WireEvent.safeParse(e).success, `seq ${r.seq}`);
    t.is(checkEventData(e.kind as WireEvent['kind'], e.data), null, `seq ${r.seq}`);
    t.true(r.time.getTime() <= Date.now() + 30 * 86_400_000, `seq ${r.seq} time ${e.time}`);
    // eslint-disable-next-line no-control-regex -- looking for control codes is the point
    t.false(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(JSON.stringify(r.data).replace(/\\u00[01][0-9a-f]/g, '')));
  }
  agent.close();
});

test('any frame bytes on one connection: the collector keeps serving a good agent and /healthz', async (t) => {
  t.timeout(180_000);
  const good = await enrollAgent(tc, 'srv-good');
  const goodAgent = await TestAgent.connect(tc.wsUrl, good.token);
  await goodAgent.hello(good.agentId, 'srv-good');
  const rogue = await enrollAgent(tc, 'srv-rogue');
  let seq = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc
          .record({
            type: fc.constantFrom('batch', 'hello', 'goodbye', 'ack'),
            batchId: fc.integer(),
            events: fc.anything(),
          })
          .map((v) => JSON.stringify(v)),
      ),
      fc.boolean(),
      async (frame, helloFirst) => {
        const rogueAgent = await TestAgent.connect(tc.wsUrl, rogue.token);
        if (helloFirst) await rogueAgent.hello(rogue.agentId, 'srv-rogue');
        rogueAgent.ws.send(frame);
        await Promise.race([rogueAgent.next(2000).catch(() => null), rogueAgent.closed]);
        rogueAgent.ws.terminate();
        seq++;
        if ((await goodAgent.batch(seq, detectionEvents(seq, seq))) !== seq) throw new Error('good agent not acked');
      },
    ),
    { numRuns: 40 },
  );
  t.is(goodAgent.ws.readyState, goodAgent.ws.OPEN);
  t.is((await fetch(tc.url + '/healthz')).status, 200);
  goodAgent.close();
});
