import test from 'ava';
import { readFileSync } from 'node:fs';
import { parsePolicy, parseRegFile, toUpdatePolicy } from '@wuwatch/core';
import { isWuwatchError } from '../src/errors/errors.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/policy/${name}`, import.meta.url));
const WU = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
const AU = WU + '\\AU';
const HEADER = 'Windows Registry Editor Version 5.00';

test('the regedit fixture really is UTF-16LE with a BOM and CRLF', (t) => {
  const bytes = fixture('regedit-export-utf16le.reg');
  t.deepEqual([...bytes.subarray(0, 4)], [0xff, 0xfe, 0x57, 0x00]);
  t.true(bytes.includes(Buffer.from('\r\n', 'utf16le')));
});

test('reads a regedit export (UTF-16LE, hex(2)/hex(7) with continuations)', (t) => {
  const exp = parseRegFile(fixture('regedit-export-utf16le.reg'));
  t.deepEqual(
    exp.keys.map((k) => k.path),
    [WU, AU],
  );
  const wu = exp.keys[0]!.values;
  t.deepEqual(wu['WUServer'], { type: 'REG_SZ', value: 'https://wsus01.corp.example:8531' });
  t.deepEqual(wu['TargetGroupEnabled'], { type: 'REG_DWORD', value: 1 });
  t.deepEqual(wu['wuwatchExpandSample'], { type: 'REG_EXPAND_SZ', value: '%SystemRoot%\\Temp' });
  t.deepEqual(wu['wuwatchMultiSample'], { type: 'REG_MULTI_SZ', value: ['Servers', 'Ring 2'] });
  t.deepEqual(exp.keys[1]!.values['DetectionFrequency'], { type: 'REG_DWORD', value: 12 });
});

test('types the regedit export', (t) => {
  const policy = parsePolicy(fixture('regedit-export-utf16le.reg'));
  t.is(policy.windowsUpdate.WUStatusServer, 'https://wsus01.corp.example:8531');
  t.is(policy.windowsUpdate.UpdateServiceUrlAlternate, '');
  t.is(policy.windowsUpdate.SetProxyBehaviorForUpdateDetection, 0);
  t.is(policy.windowsUpdate.DisableDualScan, 1);
  t.is(policy.au.UseWUServer, 1);
  t.is(policy.au.RescheduleWaitTime, 10);
  t.deepEqual(Object.keys(policy.other[WU] ?? {}), ['wuwatchExpandSample', 'wuwatchMultiSample']);
});

test('reads a hand-written UTF-8 file: deletions, escapes, default value, lower-case keys', (t) => {
  const exp = parseRegFile(fixture('hand-edited-utf8.reg'));
  t.is(exp.keys.length, 2, '[-KEY] removed the Retired subkey declared earlier');
  const wu = exp.keys[0]!.values;
  t.is(wu['UpdateServiceUrlAlternate'], undefined, '"Name"=- removed the value');
  t.deepEqual(wu['TargetGroup'], { type: 'REG_SZ', value: 'Servers;Zürich "DMZ"' });
  t.deepEqual(wu['ContentShare'], { type: 'REG_SZ', value: '\\\\fileserver\\wsus$' });
  t.deepEqual(wu[''], { type: 'REG_SZ', value: 'default value' });
  t.deepEqual(wu['wuwatchQword'], { type: 'REG_QWORD', value: '4096' });
  t.deepEqual(wu['wuwatchBinary'], { type: 'REG_BINARY', value: 'deadbeef' });
  const policy = toUpdatePolicy(exp);
  t.is(policy.au.UseWUServer, 1, 'value and key names match case-insensitively');
  t.is(policy.au.NoAutoUpdate, null, 'deleted after being set');
  t.is(policy.au.DetectionFrequency, 48);
});

test('UTF-8 with a BOM, UTF-8 without, a string and UTF-16 without BOM read the same', (t) => {
  const plain = fixture('hand-edited-utf8.reg');
  const expected = parseRegFile(plain);
  t.deepEqual(parseRegFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), plain])), expected);
  t.deepEqual(parseRegFile(plain.toString('utf8')), expected);
  t.deepEqual(parseRegFile('\uFEFF' + plain.toString('utf8')), expected);
  t.deepEqual(parseRegFile(Buffer.from(plain.toString('utf8'), 'utf16le')), expected);
});

test('REGEDIT4 files are ANSI: strings and hex(2) bytes decode as single bytes', (t) => {
  const text = [
    'REGEDIT4',
    '',
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]',
    '"TargetGroup"="Z\u00fcrich"',
    '"Path"=hex(2):25,54,45,4d,50,25,00',
    '',
  ].join('\r\n');
  const values = parseRegFile(Buffer.from(text, 'latin1')).keys[0]!.values;
  t.deepEqual(values['TargetGroup'], { type: 'REG_SZ', value: 'Zürich' });
  t.deepEqual(values['Path'], { type: 'REG_EXPAND_SZ', value: '%TEMP%' });
});

test('hex types: dword short form, hex(4), hex(5), hex(b), hex(0), unknown hex(N), wrapped lines', (t) => {
  const text = [
    HEADER,
    '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]',
    '"Short"=dword:1',
    '"Le"=hex(4):2a,00,00,00',
    '"Be"=hex(5):00,00,00,2a',
    '"Q"=hex(b):ff,ff,ff,ff,ff,ff,ff,ff',
    '"None"=hex(0):',
    '"Odd"=hex(20):01,02',
    '"Wrapped"=hex:01,02,\\',
    '  03,04,\\',
    '  05',
    '"After"="still read"',
  ].join('\r\n');
  t.deepEqual(parseRegFile(text).keys[0]!.values, {
    Short: { type: 'REG_DWORD', value: 1 },
    Le: { type: 'REG_DWORD', value: 42 },
    Be: { type: 'REG_DWORD_BIG_ENDIAN', value: 42 },
    Q: { type: 'REG_QWORD', value: '18446744073709551615' },
    None: { type: 'REG_NONE', value: '' },
    Odd: { type: 'REG_BINARY', value: '0102' },
    Wrapped: { type: 'REG_BINARY', value: '0102030405' },
    After: { type: 'REG_SZ', value: 'still read' },
  });
});

test('a value name repeated in another casing replaces the first; a later [KEY] merges', (t) => {
  const text = [
    HEADER,
    `[${AU}]`,
    '"UseWUServer"=dword:00000000',
    `[${AU.toUpperCase()}]`,
    '"usewuserver"=dword:00000001',
  ].join('\n');
  const exp = parseRegFile(text);
  t.is(exp.keys.length, 1);
  t.deepEqual(exp.keys[0]!.values, { usewuserver: { type: 'REG_DWORD', value: 1 } });
});

test('[-KEY] of WindowsUpdate removes its subkeys too', (t) => {
  const text = [HEADER, `[${WU}]`, '"WUServer"="http://a"', `[${AU}]`, '"UseWUServer"=dword:1', `[-${WU}]`].join('\n');
  t.deepEqual(parseRegFile(text), { keys: [] });
});

test('a value named __proto__ stays an ordinary value', (t) => {
  const exp = parseRegFile([HEADER, `[${WU}]`, '"__proto__"="x"'].join('\n'));
  const values = exp.keys[0]!.values;
  t.deepEqual(Object.keys(values), ['__proto__']);
  t.is(Object.getPrototypeOf(values), Object.prototype);
});

test('parsePolicy tells a .reg file from reg query output', (t) => {
  t.is(parsePolicy(fixture('regedit-export-utf16le.reg')).au.DetectionFrequency, 12);
  t.is(parsePolicy(fixture('regquery-wsus-old.txt')).au.DetectionFrequency, 6);
});

const invalid: [string, string | Buffer, RegExp][] = [
  ['no header', `[${WU}]\r\n"WUServer"="http://a"\r\n`, /first line is "\[HKEY_LOCAL_MACHINE/],
  ['an empty file', '', /the file is empty/],
  ['binary garbage', Buffer.from([0x00, 0x01, 0x02, 0xfe, 0x80, 0x7f]), /not a \.reg file/],
  ['a value before any key', `${HEADER}\r\n"WUServer"="http://a"\r\n`, /line 2.*before any \[KEY\]/],
  ['a garbage line', `${HEADER}\r\n[${WU}]\r\nWUServer=http://a\r\n`, /line 3.*not a key, value or comment/],
  ['a bad dword', `${HEADER}\r\n[${WU}]\r\n"A"=dword:xyz\r\n`, /dword/],
  ['an unclosed name', `${HEADER}\r\n[${WU}]\r\n"A=dword:1\r\n`, /closing quote/],
  ['an unclosed string', `${HEADER}\r\n[${WU}]\r\n"A"="abc\r\n`, /bad string data/],
  ['a bad hex byte', `${HEADER}\r\n[${WU}]\r\n"A"=hex:01,zz\r\n`, /not a hex byte/],
  ['an unknown data format', `${HEADER}\r\n[${WU}]\r\n"A"=qword:1\r\n`, /unknown data format/],
  ['a key line without ]', `${HEADER}\r\n[${WU}\r\n`, /must end with "\]"/],
];
for (const [name, input, detail] of invalid) {
  test(`${name} is a WUW_INVALID_POLICY error`, (t) => {
    const err = t.throws(() => parseRegFile(input));
    t.true(isWuwatchError(err, 'INVALID_POLICY'), String(err));
    t.regex(err.message, detail);
  });
}

test('the missing-header message says how to export the key again', (t) => {
  const err = t.throws(() => parseRegFile('hello'));
  t.regex(err.message, /reg export HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate/);
  t.regex(err.message, /regedit/);
});
