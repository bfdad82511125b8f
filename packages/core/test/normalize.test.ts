import test from 'ava';
import { isSuccessHresult, normalizeHresult, parseHresult } from '@wuwatch/core';
import { isWuwatchError } from '../src/errors/errors.js';

const same = [
  '80244022',
  '0x80244022',
  '0X80244022',
  'hr = 80244022',
  '80244022L',
  '-2145107934',
  '2149859362',
  '[80244022]',
  'error 0x80244022',
  'hr=0x80244022',
  '  0x80244022  ',
];
for (const input of same) {
  test(`normalises ${JSON.stringify(input)}`, (t) => {
    t.is(normalizeHresult(input), '0x80244022');
  });
}

test('pads short codes and keeps labelled bare hex as hex', (t) => {
  t.is(normalizeHresult('Exit code = 0x240001'), '0x00240001');
  t.is(normalizeHresult('hr = 80072ee2'), '0x80072EE2');
  t.is(normalizeHresult('0'), '0x00000000');
});

test('rejects what is not a code with a typed error', (t) => {
  for (const bad of ['', 'hello', '0x123456789', '99999999999', '0xZZ', '-2147483649']) {
    t.is(parseHresult(bad), null, bad);
    const err = t.throws(() => normalizeHresult(bad));
    t.true(isWuwatchError(err, 'INVALID_HRESULT'));
  }
});

test('success codes are not failures', (t) => {
  t.true(isSuccessHresult('0x00240001'));
  t.false(isSuccessHresult('0x80244022'));
});
