import test from 'ava';
import { readFileSync } from 'node:fs';
import { UpdatePolicySchema, parsePolicy, parseRegQuery, toUpdatePolicy } from '@wuwatch/core';
import { isWuwatchError } from '../src/errors/errors.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/policy/${name}`, import.meta.url));
const WU = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';
const AU = WU + '\\AU';

test('reads the CRLF capture of a host pointed at a retired WSUS server', (t) => {
  const raw = fixture('regquery-wsus-old.txt').toString('utf8');
  t.true(raw.includes('\r\n'), 'the fixture keeps reg.exe line endings');
  const exp = parseRegQuery(raw);
  t.deepEqual(
    exp.keys.map((k) => k.path),
    [WU, AU],
  );
  const wu = exp.keys[0]!.values;
  t.deepEqual(wu['WUServer'], { type: 'REG_SZ', value: 'http://wsus-old.corp.example:8530' });
  t.deepEqual(wu['UpdateServiceUrlAlternate'], { type: 'REG_SZ', value: '' }, 'an empty REG_SZ is empty, not absent');
  t.deepEqual(wu['TargetGroup'], { type: 'REG_SZ', value: 'Servers;Ring 2' });
  t.deepEqual(exp.keys[1]!.values['UseWUServer'], { type: 'REG_DWORD', value: 1 });
  t.deepEqual(exp.keys[1]!.values['DetectionFrequency'], { type: 'REG_DWORD', value: 6 });
  t.deepEqual(Object.keys(exp.keys[1]!.values).slice(0, 3), ['UseWUServer', 'NoAutoUpdate', 'AUOptions']);
});

test('LF and CRLF give the same export', (t) => {
  const crlf = fixture('regquery-wsus-old.txt').toString('utf8');
  t.deepEqual(parseRegQuery(crlf.replace(/\r\n/g, '\n')), parseRegQuery(crlf));
});

test('types the policy from the capture, keeping 0 apart from absent and unknown values in other', (t) => {
  const policy = parsePolicy(fixture('regquery-wsus-old.txt'));
  t.deepEqual(policy.keys, { windowsUpdate: true, au: true });
  t.is(policy.windowsUpdate.WUServer, 'http://wsus-old.corp.example:8530');
  t.is(policy.windowsUpdate.FillEmptyContentUrls, 0);
  t.is(policy.windowsUpdate.DisableWindowsUpdateAccess, null);
  t.is(policy.au.UseWUServer, 1);
  t.is(policy.au.NoAutoUpdate, 0);
  t.is(policy.au.AUOptions, 4);
  t.is(policy.au.ScheduledInstallDay, 0);
  t.is(policy.au.RescheduleWaitTime, null);
  // The per-class scan source is typed (policy/sources.ts reads it); the unknown AU value stays in other.
  t.is(policy.windowsUpdate.SetPolicyDrivenUpdateSourceForQualityUpdates, 1);
  t.is(policy.au.UseUpdateClassPolicySource, null);
  t.deepEqual(policy.other, {
    [AU]: { AutomaticMaintenanceEnabled: { type: 'REG_DWORD', value: 1 } },
  });
});

test('the typed policy survives JSON and matches UpdatePolicySchema', (t) => {
  const policy = parsePolicy(fixture('regquery-wsus-old.txt'));
  const wire = JSON.parse(JSON.stringify(policy)) as unknown;
  t.deepEqual(wire, policy);
  t.deepEqual(UpdatePolicySchema.parse(wire), policy);
});

test('"key not found" output is an empty policy, not an error', (t) => {
  const exp = parseRegQuery(fixture('regquery-key-not-found.txt').toString('utf8'));
  t.deepEqual(exp, { keys: [] });
  const policy = toUpdatePolicy(exp);
  t.deepEqual(policy.keys, { windowsUpdate: false, au: false });
  t.true(Object.values(policy.windowsUpdate).every((v) => v === null));
  t.true(Object.values(policy.au).every((v) => v === null));
  t.deepEqual(policy.other, {});
});

test('reads the misconfigured capture: UseWUServer=1 with no WUServer', (t) => {
  const policy = parsePolicy(fixture('regquery-usewuserver-no-server.txt'));
  t.is(policy.au.UseWUServer, 1);
  t.is(policy.windowsUpdate.WUServer, null);
  t.is(policy.windowsUpdate.WUStatusServer, '');
});

test('every value type, names with spaces, (Default) and data with column-like gaps', (t) => {
  const text = [
    '',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate',
    '    (Default)    REG_SZ    default text',
    '    Name With Spaces    REG_SZ    a    b',
    '    Expand    REG_EXPAND_SZ    %SystemRoot%\\Temp',
    '    Multi    REG_MULTI_SZ    one\\0two words\\0three',
    '    EmptyMulti    REG_MULTI_SZ    ',
    '    Small    REG_DWORD    0x16',
    '    Max    REG_DWORD    0xffffffff',
    '    Q    REG_QWORD    0x1f',
    '    BigQ    REG_QWORD    0xFFFFFFFFFFFFFFFF',
    '    Bin    REG_BINARY    01AB00FF',
    '    EmptyBin    REG_BINARY    ',
    '    Nothing    REG_NONE    ',
    '',
  ].join('\r\n');
  const values = parseRegQuery(text).keys[0]!.values;
  t.deepEqual(values, {
    '': { type: 'REG_SZ', value: 'default text' },
    'Name With Spaces': { type: 'REG_SZ', value: 'a    b' },
    Expand: { type: 'REG_EXPAND_SZ', value: '%SystemRoot%\\Temp' },
    Multi: { type: 'REG_MULTI_SZ', value: ['one', 'two words', 'three'] },
    EmptyMulti: { type: 'REG_MULTI_SZ', value: [] },
    Small: { type: 'REG_DWORD', value: 22 },
    Max: { type: 'REG_DWORD', value: 4294967295 },
    Q: { type: 'REG_QWORD', value: '31' },
    BigQ: { type: 'REG_QWORD', value: '18446744073709551615' },
    Bin: { type: 'REG_BINARY', value: '01ab00ff' },
    EmptyBin: { type: 'REG_BINARY', value: '' },
    Nothing: { type: 'REG_NONE', value: '' },
  });
});

test('key lines in any casing and abbreviated hives map onto the policy keys', (t) => {
  const text = [
    'hkey_local_machine\\software\\policies\\microsoft\\windows\\windowsupdate',
    '    wuserver    REG_SZ    https://wsus01.example.com:8531',
    'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\au',
    '    USEWUSERVER    REG_DWORD    0x1',
  ].join('\n');
  const exp = parseRegQuery(text);
  t.is(exp.keys[0]!.path, 'HKEY_LOCAL_MACHINE\\software\\policies\\microsoft\\windows\\windowsupdate');
  t.is(exp.keys[1]!.path, 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\au');
  const policy = toUpdatePolicy(exp);
  t.is(policy.windowsUpdate.WUServer, 'https://wsus01.example.com:8531');
  t.is(policy.au.UseWUServer, 1);
  t.deepEqual(policy.other, {});
});

test('an unset default value is absent', (t) => {
  const text = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\X\r\n    (Default)    REG_SZ    (value not set)\r\n';
  t.deepEqual(parseRegQuery(text).keys[0]!.values, {});
});

test('a pasted copy with tabs instead of four spaces still reads', (t) => {
  const text =
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU\n\tUseWUServer\tREG_DWORD\t0x1\n';
  t.deepEqual(parseRegQuery(text).keys[0]!.values, { UseWUServer: { type: 'REG_DWORD', value: 1 } });
});

test('a known value with the wrong type stays null and is kept in other', (t) => {
  const text = [
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU',
    '    UseWUServer    REG_SZ    1',
  ].join('\r\n');
  const policy = toUpdatePolicy(parseRegQuery(text));
  t.is(policy.au.UseWUServer, null);
  t.deepEqual(policy.other[AU], { UseWUServer: { type: 'REG_SZ', value: '1' } });
});

test('values of subkeys below WindowsUpdate go to other; keys outside it are dropped', (t) => {
  const text = [
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU\\Extra',
    '    Foo    REG_DWORD    0x2',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\Defender',
    '    WUServer    REG_SZ    http://not-this.example',
  ].join('\r\n');
  const policy = toUpdatePolicy(parseRegQuery(text));
  t.deepEqual(policy.other, { [AU + '\\Extra']: { Foo: { type: 'REG_DWORD', value: 2 } } });
  t.is(policy.windowsUpdate.WUServer, null);
});

test('PowerShell-redirected (UTF-16LE with BOM) reg query output reads through parsePolicy', (t) => {
  const text = fixture('regquery-wsus-old.txt').toString('utf8');
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  t.deepEqual(parsePolicy(utf16), parsePolicy(text));
});

const invalid: [string, string][] = [
  ['empty input', ''],
  ['only blank lines', '\r\n\r\n'],
  ['unrelated text', 'The operation completed successfully.\r\n'],
  ['another reg.exe error', 'ERROR: Access is denied.\r\n'],
  ['a DWORD that is not hex', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\X\r\n    V    REG_DWORD    one\r\n'],
  ['a QWORD too long', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\X\r\n    V    REG_QWORD    0x11112222333344445\r\n'],
  ['odd binary data', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\X\r\n    V    REG_BINARY    ABC\r\n'],
];
for (const [name, text] of invalid) {
  test(`${name} is a WUW_INVALID_POLICY error`, (t) => {
    const err = t.throws(() => parseRegQuery(text));
    t.true(isWuwatchError(err, 'INVALID_POLICY'), String(err));
    t.regex(err.message, /reg query|regedit/);
  });
}

test('the access-denied message is passed on to the operator', (t) => {
  const err = t.throws(() => parseRegQuery('ERROR: Access is denied.\r\n'));
  t.true(err.message.includes('Access is denied'));
});
