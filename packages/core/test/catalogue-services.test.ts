import test from 'ava';
import { normalizeServiceId, UPDATE_SERVICES, updateServiceById, updateServiceName } from '../src/catalogue/index.js';

test('the five services of issue 15 are known by ID in any spelling', (t) => {
  const byKey = (id: string) => updateServiceById(id)?.key;
  t.is(byKey('{855e8a7c-ecb4-4ca3-b045-1dfa50104289}'), 'store');
  t.is(byKey('8B24B027-1DEE-BABB-9A95-3517DFB9C552'), 'flighting');
  t.is(byKey('7971f918-a847-4430-9279-4a52d1efe18d'), 'microsoft_update');
  t.is(byKey('{9482F4B4-E343-43B6-B170-9A65BC822C77}'), 'windows_update');
  t.is(byKey('3DA21691-E39D-4DA6-8A4B-B43877BCB1B7'), 'wsus');
  t.is(new Set(UPDATE_SERVICES.map((s) => s.id)).size, UPDATE_SERVICES.length);
});

test('names: the table for known IDs, the log label otherwise, `Managed` alone means WSUS', (t) => {
  t.is(updateServiceName('8B24B027-1DEE-BABB-9A95-3517DFB9C552', 'Third party service'), 'OS Flighting');
  t.is(updateServiceName(null, 'Managed'), 'WSUS / Configuration Manager');
  t.is(updateServiceName('11111111-2222-3333-4444-555555555555', 'Offline Sync Service'), 'Offline Sync Service');
  t.is(updateServiceName(null, '  '), null);
});

test('normalizeServiceId refuses what is not a GUID', (t) => {
  t.is(normalizeServiceId('XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX'), null);
  t.is(normalizeServiceId(''), null);
  t.is(normalizeServiceId(undefined), null);
  t.is(normalizeServiceId(' {3da21691-e39d-4da6-8a4b-b43877bcb1b7} '), '3DA21691-E39D-4DA6-8A4B-B43877BCB1B7');
});
