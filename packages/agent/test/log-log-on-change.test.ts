import test from 'ava';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { failureKey, failureLog } from '../src/log/log-on-change.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

const tick = () => new Promise((r) => setImmediate(r));

test('the same failure is logged once, a different one again, and the recovery once with the repeats counted', async (t) => {
  const { log, lines } = capture();
  const f = failureLog(log, 'enrollment');
  const refused = { key: 'ECONNREFUSED', msg: 'enrollment failed' };
  f.recovered(); // nothing failed yet: nothing to say
  f.failed(refused);
  f.failed(refused);
  f.failed(refused);
  f.failed({ key: 'WUW_AUTH: secret revoked', msg: 'enrollment failed' });
  f.recovered({ agentId: 'a1' });
  f.recovered({ agentId: 'a1' });
  f.failed(refused);
  await tick();
  t.deepEqual(
    lines.map((l) => [l.msg, l.failure ?? l.previousFailure, l.repeatsNotLogged]),
    [
      ['enrollment failed', 'ECONNREFUSED', undefined],
      ['enrollment failed', 'WUW_AUTH: secret revoked', undefined],
      ['enrollment works again', 'WUW_AUTH: secret revoked', 0],
      ['enrollment failed', 'ECONNREFUSED', undefined],
    ],
  );
});

test('failureKey uses the error code with the message, or the message', (t) => {
  t.is(
    failureKey(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
  );
  t.is(failureKey(new Error('boom')), 'boom');
  t.is(failureKey('text'), 'text');
});
