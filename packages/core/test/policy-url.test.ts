import test from 'ava';
import { checkWsusUrl, normalizeWsusUrl, wsusCompareKey } from '@wuwatch/core';

const canonical: [string, string][] = [
  ['http://wsus01.corp.example:8530', 'http://wsus01.corp.example:8530'],
  ['HTTP://WSUS01.Corp.Example:8530/', 'http://wsus01.corp.example:8530'],
  ['  https://wsus01.corp.example:8531  ', 'https://wsus01.corp.example:8531'],
  ['https://wsus01.corp.example:8531/ClientWebService/client.asmx', 'https://wsus01.corp.example:8531'],
  ['http://wsus01.corp.example:80', 'http://wsus01.corp.example'],
  ['https://wsus01.corp.example:443/', 'https://wsus01.corp.example'],
  ['http://wsus01.corp.example:443', 'http://wsus01.corp.example:443'],
  ['https://wsus01.corp.example:80', 'https://wsus01.corp.example:80'],
  ['http://user:secret@wsus01.corp.example:8530/?q=1#x', 'http://wsus01.corp.example:8530'],
  ['http://10.0.0.5:8530', 'http://10.0.0.5:8530'],
  ['http://[FE80::1]:8530/', 'http://[fe80::1]:8530'],
];
for (const [input, expected] of canonical) {
  test(`normalizeWsusUrl(${JSON.stringify(input)})`, (t) => {
    t.is(normalizeWsusUrl(input), expected);
  });
}

test('the same server written differently groups together', (t) => {
  const forms = [
    'http://WSUS01.corp.example:8530',
    'http://wsus01.corp.example:8530/',
    'http://wsus01.corp.example:8530/selfupdate/wuident.cab',
  ];
  t.is(new Set(forms.map(normalizeWsusUrl)).size, 1);
});

const unusable: [string, string][] = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['wsus01.corp.example:8530', 'scheme'],
  ['ftp://wsus01.corp.example', 'scheme'],
  ['file:///C:/wsus', 'scheme'],
  ['http://wsus 01:8530', 'unparsable'],
  ['http://wsus01:99999', 'unparsable'],
  ['http://', 'unparsable'],
  ['not a url', 'unparsable'],
];
for (const [input, reason] of unusable) {
  test(`unusable WSUS URL ${JSON.stringify(input)} (${reason})`, (t) => {
    t.is(normalizeWsusUrl(input), null);
    t.deepEqual(checkWsusUrl(input), { ok: false, reason });
  });
}

test('status-server comparison ignores case and trailing slashes only', (t) => {
  t.is(wsusCompareKey(' HTTP://Wsus01:8530// '), 'http://wsus01:8530');
  t.not(wsusCompareKey('http://wsus01'), wsusCompareKey('http://wsus01:80'));
});
