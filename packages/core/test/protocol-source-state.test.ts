// Protocol 2's `source_state` kind: its data schema, and which negotiated versions may carry it.
import test from 'ava';
import { checkEventData, kindSupported, PROTOCOL_MIN_VERSION, PROTOCOL_VERSION } from '../src/protocol/index.js';

const CHANNEL = 'Microsoft-Windows-WindowsUpdateClient/Operational';

test('protocol 2 speaks 1..2; source_state needs 2, every older kind any version', (t) => {
  t.is(PROTOCOL_VERSION, 2);
  t.is(PROTOCOL_MIN_VERSION, 1);
  t.false(kindSupported('source_state', 1));
  t.true(kindSupported('source_state', 2));
  t.true(kindSupported('detection', 1));
  t.true(kindSupported('probe', 1));
});

test('source_state data: source, name, state and a reason or null', (t) => {
  const ok = { source: 'event_channel', name: CHANNEL, state: 'disabled', reason: null };
  t.is(checkEventData('source_state', ok), null);
  t.is(checkEventData('source_state', { ...ok, state: 'unavailable', reason: 'wevtutil.exe was not found' }), null);
  t.regex(checkEventData('source_state', { ...ok, state: 'off' }) ?? '', /^state:/);
  t.regex(checkEventData('source_state', { ...ok, source: 'registry' }) ?? '', /^source:/);
  t.regex(
    checkEventData('source_state', { source: 'event_channel', name: CHANNEL, state: 'enabled' }) ?? '',
    /^reason:/,
  );
});
