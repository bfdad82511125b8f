import test from 'ava';
import {
  decodeAgentFrame,
  decodeIncomingAgentFrame,
  negotiateProtocol,
  PROTOCOL_MIN_VERSION,
  PROTOCOL_VERSION,
} from '../src/protocol/index.js';
import { isWuwatchError } from '../src/errors/errors.js';

const hello = (protocol: number, minProtocol?: number) =>
  JSON.stringify({
    type: 'hello',
    protocol,
    ...(minProtocol !== undefined ? { minProtocol } : {}),
    agentId: 'agt_1',
    hostname: 'srv',
    osVersion: 'Windows',
    agentVersion: 'x',
    mode: 'log',
  });

test('negotiation picks the newest version both speak: older agents, agents one version ahead', (t) => {
  t.is(negotiateProtocol({ protocol: PROTOCOL_VERSION }), PROTOCOL_VERSION, 'an agent from before negotiation');
  t.is(negotiateProtocol({ protocol: PROTOCOL_VERSION + 1, minProtocol: PROTOCOL_VERSION }), PROTOCOL_VERSION);
  t.is(negotiateProtocol({ protocol: PROTOCOL_VERSION + 1, minProtocol: PROTOCOL_MIN_VERSION }), PROTOCOL_VERSION);
  t.is(decodeAgentFrame(hello(PROTOCOL_VERSION + 1, PROTOCOL_VERSION)).type, 'hello');
});

test('no overlap is WUW_PROTOCOL_VERSION naming both ranges', (t) => {
  const err = t.throws(() => decodeIncomingAgentFrame(hello(PROTOCOL_VERSION + 2, PROTOCOL_VERSION + 1)));
  t.true(isWuwatchError(err, 'PROTOCOL_VERSION'));
  t.regex(err?.message ?? '', new RegExp(`agent speaks ${PROTOCOL_VERSION + 1}\\.\\.${PROTOCOL_VERSION + 2}`));
  t.regex(err?.message ?? '', /one version ahead/);
});

test('a batch envelope needs only seqs: unknown kinds and odd data are left to admission', (t) => {
  const frame = decodeIncomingAgentFrame(
    JSON.stringify({ type: 'batch', batchId: 1, events: [{ seq: 1, kind: 'from_the_future', data: 5 }] }),
  );
  t.is(frame.type, 'batch');
  t.throws(() => decodeIncomingAgentFrame(JSON.stringify({ type: 'batch', batchId: 1, events: [{ kind: 'x' }] })), {
    message: /events\.0\.seq/,
  });
});
