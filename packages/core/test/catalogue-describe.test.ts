import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import {
  HRESULT_CLASSES,
  classifyHttpStatus,
  describeHresult,
  formatHresult,
  isFailure,
  isWuwatchError,
  lookupHresult,
  tryDescribeHresult,
} from '@wuwatch/core';

const FIELD_REPORT = fileURLToPath(
  new URL('./fixtures/shared/wulog/pasted/field-report-80244022.log', import.meta.url),
);

const SPELLINGS: readonly (string | number)[] = [
  '80244022',
  '0x80244022',
  '0X80244022',
  '  0x80244022  ',
  'hr = 80244022',
  '80244022L',
  '-2145107934',
  '2149859362',
  '[80244022]',
  'error = 0x80244022',
  -2145107934,
  0x80244022,
];

for (const input of SPELLINGS) {
  test(`${JSON.stringify(input)} describes WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL`, (t) => {
    const d = describeHresult(input);
    t.is(d.code, '0x80244022');
    t.is(d.name, 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL');
    t.is(d.httpStatus, 503);
    t.is(d.class, 'unreachable');
  });
}

test('the unreachable remedy carries the lesson of the 2014 field report', (t) => {
  const { remedy } = describeHresult('0x80244022');
  for (const needle of [
    'Specify intranet Microsoft update service location',
    'Computer Configuration > Administrative Templates > Windows Components > Windows Update',
    'Not Configured',
    'reg query HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate',
    'WindowsUpdate\\AU',
    'WUServer',
    'WUStatusServer',
    'UseWUServer',
    'wuwatch-agent diagnose',
    'gpupdate /force',
    'wuauserv',
    'next Group Policy refresh',
  ]) {
    t.true(remedy.includes(needle), needle);
  }
  // The specific 503 hint comes first, the class remedy after it.
  t.true(remedy.indexOf('WsusPool') < remedy.indexOf('Not Configured'));
});

test('every code in the 2014 field report is described as unreachable', (t) => {
  const text = readFileSync(FIELD_REPORT, 'utf8');
  const codes = new Set((text.match(/0x[0-9a-f]{8}/gi) ?? []).map((c) => describeHresult(c).code));
  t.deepEqual([...codes].sort(), ['0x801901F7', '0x80244022']);
  for (const code of codes) t.is(describeHresult(code).class, 'unreachable', code);
});

test('BITS HTTP family is 0x80190000 + status', (t) => {
  const d503 = describeHresult('0x801901f7');
  t.like(d503, { code: '0x801901F7', name: 'BG_E_HTTP_ERROR_503', httpStatus: 503, class: 'unreachable' });
  t.true(d503.remedy.includes('Not Configured'));
  t.like(describeHresult('0x80190194'), { name: 'BG_E_HTTP_ERROR_404', httpStatus: 404, class: 'server_error' });
  for (const status of [407, 408, 502, 504]) {
    t.like(describeHresult(0x80190000 + status), { httpStatus: status, class: 'unreachable' }, String(status));
  }
  for (const status of [400, 401, 403, 405, 410, 500, 501, 505, 599]) {
    t.like(describeHresult(0x80190000 + status), { httpStatus: status, class: 'server_error' }, String(status));
  }
  t.like(describeHresult('0x80190064'), { name: 'BG_E_HTTP_ERROR_100', httpStatus: 100, class: 'other' });
  t.is(describeHresult('0x80190063').class, 'unknown');
  t.is(describeHresult('0x80190258').class, 'unknown');
});

test('classifyHttpStatus: 407/408/502/503/504 unreachable, other 4xx/5xx server_error', (t) => {
  for (const s of [407, 408, 502, 503, 504]) t.is(classifyHttpStatus(s), 'unreachable', String(s));
  for (const s of [400, 401, 403, 404, 405, 409, 410, 429, 500, 501, 505, 599]) {
    t.is(classifyHttpStatus(s), 'server_error', String(s));
  }
  for (const s of [100, 200, 206, 301, 304, 600, 99]) t.is(classifyHttpStatus(s), 'other', String(s));
});

test('0x80244023 keeps its official name; httpStatus follows the name and the quirk is documented', (t) => {
  const d = describeHresult('0x80244023');
  t.is(d.name, 'WU_E_PT_HTTP_STATUS_GATEWAY_TIMEOUT');
  t.is(d.httpStatus, 504);
  t.is(d.class, 'unreachable');
  t.true(d.description.includes('Same as HTTP status 503'));
  t.true(d.description.includes('504'));
  t.true(d.description.includes('Quirk'));
});

test('0x80244020 has the same kind of quirk (name 501, text 500)', (t) => {
  const d = describeHresult('0x80244020');
  t.like(d, { name: 'WU_E_PT_HTTP_STATUS_NOT_SUPPORTED', httpStatus: 501, class: 'server_error' });
  t.true(d.description.includes('Same as HTTP status 500'));
});

test('family fallbacks give a family-level name, and specific entries win over them', (t) => {
  t.like(describeHresult('0x80248ABC'), { name: 'WU_E_DS_*', class: 'local_agent' });
  t.like(describeHresult('0x80242ABC'), { name: 'WU_E_UH_*', class: 'local_agent' });
  t.like(describeHresult('0x800F0999'), { name: 'CBS_E_*', class: 'local_agent' });
  t.like(describeHresult('0x80248007'), { name: 'WU_E_DS_NODATA', class: 'local_agent' });
  t.like(describeHresult('0x800F081F'), { name: 'CBS_E_SOURCE_MISSING', class: 'local_agent' });
  t.is(describeHresult('0x80248ABC').httpStatus, undefined);
});

test('an unknown but well-formed code is class unknown with a remedy that says how to look it up', (t) => {
  const d = describeHresult('0x87654321');
  t.like(d, { code: '0x87654321', name: 'UNKNOWN', class: 'unknown' });
  t.is(d.httpStatus, undefined);
  t.true(d.remedy.includes('certutil -error 0x87654321'));
  t.true(d.remedy.includes('Windows Update error codes by component'));
  t.is(lookupHresult('0x87654321'), undefined);
  t.is(lookupHresult('80244022')?.name, 'WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL');
  t.like(lookupHresult('0x801901F7'), { name: 'BG_E_HTTP_ERROR_503' });
});

test('an uncatalogued success code is unknown but still not a failure', (t) => {
  const d = describeHresult('0x00240009');
  t.is(d.class, 'unknown');
  t.true(d.description.includes('not a failure'));
  t.false(isFailure('0x00240009'));
});

test('malformed input throws WUW_INVALID_HRESULT, never another error', (t) => {
  const bad: unknown[] = ['', 'xyz', '0x123456789', '99999999999', '0xZZ', NaN, 1.5, 2 ** 32, -(2 ** 31) - 1, null, {}];
  for (const input of bad) {
    for (const fn of [describeHresult, lookupHresult, isFailure]) {
      const err = t.throws(() => fn(input as string));
      t.true(isWuwatchError(err, 'INVALID_HRESULT'), `${fn.name}(${String(input)})`);
      t.is((err as { code?: string }).code, 'WUW_INVALID_HRESULT');
    }
  }
});

test('success codes are not failures', (t) => {
  for (const code of ['0x00000000', 'Exit code = 0x240001', '0x00240005', 0, '0x00000001']) {
    t.false(isFailure(code), String(code));
    const d = describeHresult(code);
    t.is(d.class, 'other');
    t.true(d.description.includes('Not a failure'), d.name);
    t.true(d.remedy.includes('Nothing to fix'), d.name);
  }
  t.is(describeHresult('0x00240001').name, 'WU_S_SERVICE_STOP');
  t.is(describeHresult('0x00240005').name, 'WU_S_REBOOT_REQUIRED');
  t.is(describeHresult(0).name, 'S_OK');
  t.true(isFailure('0x80244022'));
  t.true(isFailure('0x87654321'));
});

test('callers get their own copy of a description', (t) => {
  const first = describeHresult('0x80244022');
  first.remedy = 'changed';
  t.not(describeHresult('0x80244022').remedy, 'changed');
});

test('property: every 32-bit value, signed or unsigned, is described consistently', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const d = describeHresult(n);
        const signed = n >= 0x80000000 ? n - 0x100000000 : n;
        return (
          /^0x[0-9A-F]{8}$/.test(d.code) &&
          d.code === formatHresult(n) &&
          (HRESULT_CLASSES as readonly string[]).includes(d.class) &&
          d.remedy.length > 0 &&
          d.description.length > 0 &&
          describeHresult(signed).name === d.name &&
          describeHresult(d.code).class === d.class
        );
      }),
    ),
  );
});

test('property: arbitrary text either describes or throws the catalogued error', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          return describeHresult(s).remedy.length > 0;
        } catch (err) {
          return isWuwatchError(err, 'INVALID_HRESULT');
        }
      }),
    ),
  );
});

test('tryDescribeHresult: describes what describeHresult describes, undefined for an absent or malformed code', (t) => {
  t.deepEqual(tryDescribeHresult('0x80244022'), describeHresult('0x80244022'));
  t.deepEqual(tryDescribeHresult(-2145107934), describeHresult(-2145107934));
  // An unknown but well-formed code is still described (class unknown), as describeHresult does.
  t.is(tryDescribeHresult('0x8badf00d')?.class, 'unknown');
  for (const bad of [null, undefined, '', 'not a code', '0x', 1.5, 2 ** 40]) t.is(tryDescribeHresult(bad), undefined);
});
