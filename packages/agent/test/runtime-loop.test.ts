// A source loop that fails on every run logs once per distinct failure and once on recovery (issue 17).
import test from 'ava';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { makeError } from '@wuwatch/core';
import { Loop } from '../src/runtime/loop.js';

function capture() {
  const lines: { level: number; msg: string; task?: string; repeatsNotLogged?: number; failure?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

test('N failed runs of a source are one line, its recovery one more; a different failure is a new line', async (t) => {
  const { log, lines } = capture();
  let outcome: Error | null = makeError('COMMAND_FAILED', ['C:\\Windows\\System32\\wevtutil.exe gl …', 'exit code 5']);
  const loop = new Loop(
    'channel',
    async () => {
      if (outcome) throw outcome;
      return 60_000;
    },
    log,
    60_000,
  );
  t.teardown(() => loop.stop());
  for (let i = 0; i < 6; i++) await loop.trigger();
  await new Promise((r) => setImmediate(r));
  t.is(lines.length, 1, JSON.stringify(lines));
  t.like(lines[0], { task: 'channel', level: 40 });
  t.regex(lines[0]!.msg, /channel failed/);

  outcome = null;
  await loop.trigger();
  await loop.trigger();
  await new Promise((r) => setImmediate(r));
  t.is(lines.length, 2);
  t.like(lines[1], { level: 30, msg: 'source channel works again', repeatsNotLogged: 5 });

  outcome = new Error('timed out after 30000 ms');
  await loop.trigger();
  outcome = makeError('COMMAND_FAILED', ['wevtutil', 'exit code 5']);
  await loop.trigger();
  await loop.trigger();
  await new Promise((r) => setImmediate(r));
  t.is(lines.length, 4, 'two different failures, two lines');
});
