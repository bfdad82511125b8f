// The write semaphore: never more holders than slots, FIFO hand-over, idempotent release.
import test from 'ava';
import { Semaphore } from '../src/transport/semaphore.js';

test('50 workers through 2 slots: never more than 2 holders, served in arrival order', async (t) => {
  const s = new Semaphore(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  const worker = async (i: number) => {
    const release = await s.acquire();
    peak = Math.max(peak, ++active);
    order.push(i);
    await new Promise((r) => setImmediate(r));
    active--;
    release();
  };
  // Arrivals interleave with releases across ticks.
  const all: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    all.push(worker(i));
    if (i % 3 === 0) await Promise.resolve();
  }
  await Promise.all(all);
  t.is(peak, 2);
  t.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
    'first come, first served',
  );
  t.is(s.pressure, 0);
});

test('a newcomer arriving right after a release waits behind the woken waiter', async (t) => {
  const s = new Semaphore(1);
  const holders: string[] = [];
  const first = await s.acquire();
  const waiter = s.acquire().then((release) => (holders.push('waiter'), release));
  first();
  const newcomer = s.acquire().then((release) => (holders.push('newcomer'), release));
  await new Promise((r) => setImmediate(r));
  t.deepEqual(holders, ['waiter'], 'one slot, one holder');
  (await waiter)();
  (await newcomer)();
  t.deepEqual(holders, ['waiter', 'newcomer']);
  t.is(s.pressure, 0);
});

test('releasing twice frees one slot only', async (t) => {
  const s = new Semaphore(1);
  const r1 = await s.acquire();
  r1();
  r1();
  const r2 = await s.acquire();
  let third = false;
  void s.acquire().then(() => (third = true));
  await new Promise((r) => setImmediate(r));
  t.false(third, 'the double release did not create a second slot');
  t.is(s.pressure, 2);
  r2();
  await new Promise((r) => setImmediate(r));
  t.true(third);
});
