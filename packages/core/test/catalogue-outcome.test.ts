import test from 'ava';
import { CANCELLED_HRESULTS, describeHresult, outcomeOfCode } from '../src/catalogue/index.js';

test('call-cancelled codes are cancellations, not failures', (t) => {
  for (const code of ['0x8024000B', '0x8024001E', '0x8024A10A', '0x800704C7']) {
    t.is(outcomeOfCode(code), 'cancelled', code);
    t.true(CANCELLED_HRESULTS.has(code));
  }
  t.is(describeHresult('0x8024000B').name, 'WU_E_CALL_CANCELLED');
});

test('WU_E_CALL_CANCELLED_BY_POLICY stays a failure: the policy refuses every scan until it is fixed', (t) => {
  t.is(outcomeOfCode('0x8024002F'), 'failed');
});

test('success codes and no code are successes; any other error is a failure', (t) => {
  t.is(outcomeOfCode(null), 'succeeded');
  t.is(outcomeOfCode('0x00000000'), 'succeeded');
  t.is(outcomeOfCode('0x00240001'), 'succeeded');
  t.is(outcomeOfCode('0x8024402C'), 'failed');
  t.is(outcomeOfCode('0x80244022'), 'failed');
});
