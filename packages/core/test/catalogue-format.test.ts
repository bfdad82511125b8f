import test from 'ava';
import { CATALOGUE_ENTRIES, describeHresult, formatDescription, remedyForClass, HRESULT_CLASSES } from '@wuwatch/core';

const INDENT = ' '.repeat('HTTP status: '.length);

test('0x80244022 renders code, name, HTTP status, class, meaning and fix in that order', (t) => {
  const text = formatDescription(describeHresult('hr = 80244022'));
  const lines = text.split('\n');
  t.is(lines[0], 'Code:        0x80244022');
  t.is(lines[1], 'Name:        WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL');
  t.is(lines[2], 'HTTP status: 503');
  t.is(lines[3], 'Class:       unreachable (the update server could not be reached)');
  t.true(lines[4]!.startsWith('Meaning:     Same as HTTP status 503'));
  t.true(lines[5]!.startsWith('Fix:         HTTP 503'));
  // Every remedy step is on its own line, aligned under the value column.
  const fix = lines.slice(6);
  t.true(fix.length >= 4);
  for (const line of fix) t.true(line.startsWith(INDENT) && line[INDENT.length] !== ' ', line);
  t.true(text.includes('Specify intranet Microsoft update service location'));
  t.true(text.includes('"Not Configured"'));
});

test('no HTTP status line when the code has none', (t) => {
  const text = formatDescription(describeHresult('0x80072EE2'));
  t.false(text.includes('HTTP status:'));
  t.regex(text, /^Name: +ERROR_WINHTTP_TIMEOUT$/m);
  t.regex(text, /^Class: +unreachable /m);
});

test('success codes say they are not failures', (t) => {
  const text = formatDescription(describeHresult('Exit code = 0x240001'));
  t.regex(text, /^Code: +0x00240001$/m);
  t.regex(text, /^Class: +other \(success code, not a failure\)$/m);
  t.regex(text, /^Fix: +Nothing to fix/m);
});

test('unknown codes say how to look them up', (t) => {
  const text = formatDescription(describeHresult('0x87654321'));
  t.regex(text, /^Name: +UNKNOWN$/m);
  t.regex(text, /^Class: +unknown \(not in wuwatch's catalogue\)$/m);
  t.true(text.includes('certutil -error 0x87654321'));
});

test('every entry renders its code, name and whole remedy without trailing spaces', (t) => {
  for (const e of CATALOGUE_ENTRIES) {
    const d = describeHresult(e.code);
    const text = formatDescription(d);
    t.true(text.startsWith(`Code:        ${d.code}\nName:        ${d.name}\n`), d.name);
    for (const step of d.remedy.split('\n')) t.true(text.includes(step), `${d.name}: ${step}`);
    t.false(/[ \t]$/m.test(text), d.name);
  }
});

test('every class has a generic remedy; each names something to check', (t) => {
  const expectations: Record<(typeof HRESULT_CLASSES)[number], string> = {
    unreachable: 'Not Configured',
    server_error: 'WsusPool',
    client_misconfigured: 'UseWUServer=1',
    local_agent: 'SoftwareDistribution',
    other: 'WindowsUpdate.log',
    unknown: 'certutil -error',
  };
  for (const cls of HRESULT_CLASSES) t.true(remedyForClass(cls).includes(expectations[cls]), cls);
});
