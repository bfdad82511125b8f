import test from 'ava';
import { decodeWindowsText } from '@wuwatch/core';

const TEXT = 'Proxy Server(s) :  café:8080';

test('decodeWindowsText reads UTF-16LE with and without BOM, UTF-16BE and UTF-8 with BOM', (t) => {
  t.is(decodeWindowsText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')])), TEXT);
  t.is(decodeWindowsText(Buffer.from(TEXT, 'utf16le')), TEXT);
  t.is(decodeWindowsText(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(TEXT, 'utf16le').swap16()])), TEXT);
  t.is(decodeWindowsText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')])), TEXT);
  t.is(decodeWindowsText(Buffer.from(TEXT, 'utf8')), TEXT);
});

test('decodeWindowsText falls back to Windows-1252 for bytes that are not UTF-8', (t) => {
  t.is(decodeWindowsText(Buffer.from(TEXT, 'latin1')), TEXT);
  t.is(decodeWindowsText(Buffer.from([0x80])), '€');
});

test('decodeWindowsText strips a BOM from a string and leaves other strings alone', (t) => {
  t.is(decodeWindowsText('\uFEFF' + TEXT), TEXT);
  t.is(decodeWindowsText(TEXT), TEXT);
});
