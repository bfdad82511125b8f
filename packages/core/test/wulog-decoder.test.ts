import test from 'ava';
import { decodeCp1252, LineDecoder, type LineDecoderOptions } from '../src/wulog/index.js';

function decode(chunks: (Buffer | Uint8Array)[], options?: LineDecoderOptions): string[] {
  const lines: string[] = [];
  const d = new LineDecoder((l) => lines.push(l), options);
  for (const c of chunks) d.push(c);
  d.end();
  return lines;
}

function bytewise(buf: Buffer): Buffer[] {
  return [...buf].map((b) => Buffer.from([b]));
}

test('splits LF and CRLF lines and keeps empty lines', (t) => {
  t.deepEqual(decode([Buffer.from('a\r\nb\n\nc\r\n')]), ['a', 'b', '', 'c']);
  t.deepEqual(decode([Buffer.from('a\nb')]), ['a', 'b']);
  t.deepEqual(decode([Buffer.from('')]), []);
});

test('a lone CR at the end of the last line is dropped, a CR inside a line is kept', (t) => {
  t.deepEqual(decode([Buffer.from('x\r\ny\r')]), ['x', 'y']);
  t.deepEqual(decode([Buffer.from('a\rb\n')]), ['a\rb']);
});

test('CR and LF split across chunks still make one line end', (t) => {
  t.deepEqual(decode([Buffer.from('abc\r'), Buffer.from('\ndef\r'), Buffer.from('\n')]), ['abc', 'def']);
});

test('strips a UTF-8 BOM, even when it arrives one byte at a time', (t) => {
  const buf = Buffer.from('\uFEFFfirst\nsecond\n', 'utf8');
  t.deepEqual(decode([buf]), ['first', 'second']);
  t.deepEqual(decode(bytewise(buf)), ['first', 'second']);
  // Only at the very start: a BOM later in the file is text.
  t.deepEqual(decode([Buffer.from('a\n\uFEFFb\n', 'utf8')]), ['a', '\uFEFFb']);
  // A file that is only the start of a BOM is not lost.
  t.deepEqual(decode([Buffer.from([0xef, 0xbb])]), ['ï»']);
});

test('a multi-byte UTF-8 character split between chunks decodes once whole', (t) => {
  const buf = Buffer.from('Zoë 🚀 更新\n', 'utf8');
  for (let cut = 1; cut < buf.length; cut++) {
    t.deepEqual(decode([buf.subarray(0, cut), buf.subarray(cut)]), ['Zoë 🚀 更新'], `cut at ${cut}`);
  }
});

test('a line that is not valid UTF-8 falls back to Windows-1252, its neighbours stay UTF-8', (t) => {
  const buf = Buffer.concat([
    Buffer.from('café ok\n', 'utf8'),
    Buffer.from([0x43, 0x3a, 0x5c, 0x41, 0x6e, 0x64, 0x72, 0xe9, 0x0d, 0x0a]), // C:\André (cp1252) CRLF
    Buffer.from([0x80, 0x20, 0x93, 0x71, 0x94, 0x20, 0x81, 0x0a]), // € “q” U+0081
    Buffer.from('naïve\n', 'utf8'),
  ]);
  const expected = ['café ok', 'C:\\André', '\u20ac \u201cq\u201d \u0081', 'naïve'];
  t.deepEqual(decode([buf]), expected);
  t.deepEqual(decode(bytewise(buf)), expected);
});

test('never throws on arbitrary bytes', (t) => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  t.notThrows(() => decode([all, all]));
});

test('holds back a partial last line until more data or end()', (t) => {
  const lines: string[] = [];
  const d = new LineDecoder((l) => lines.push(l));
  d.push(Buffer.from('one\ntw'));
  t.deepEqual(lines, ['one']);
  d.push(Buffer.from('o'));
  t.deepEqual(lines, ['one']);
  d.push(Buffer.from('\nthr'));
  t.deepEqual(lines, ['one', 'two']);
  d.end();
  t.deepEqual(lines, ['one', 'two', 'thr']);
});

test('copies held bytes, so a caller reusing its buffer does not corrupt the line', (t) => {
  const lines: string[] = [];
  const d = new LineDecoder((l) => lines.push(l));
  const scratch = Buffer.from('abc');
  d.push(scratch);
  scratch.write('XYZ');
  d.push(Buffer.from('def\n'));
  d.end();
  t.deepEqual(lines, ['abcdef']);
});

test('accepts plain Uint8Array chunks', (t) => {
  t.deepEqual(decode([new TextEncoder().encode('a\nb\n')]), ['a', 'b']);
});

test('cuts lines longer than maxLineBytes at a character boundary, whatever the chunking', (t) => {
  const long = 'abc€€€xyz'; // € is 3 bytes: the cut at 8 bytes falls inside the second €
  const buf = Buffer.from(`${long}\nshort\n`, 'utf8');
  const whole = decode([buf], { maxLineBytes: 8 });
  t.deepEqual(whole, ['abc€', 'short']);
  t.deepEqual(decode(bytewise(buf), { maxLineBytes: 8 }), whole);
});

test('a chunk bigger than one decoded piece (32 KiB) gives the same lines, whatever falls on a piece edge', (t) => {
  // Lines of every length around the piece size, a line longer than a piece, CRLF and LF, non-ASCII text (UTF-8
  // and Windows-1252) and empty lines, in one 400 KiB chunk; a line can end on, just before or just after an edge.
  const lines: string[] = [];
  const parts: Buffer[] = [];
  let n = 0;
  for (let size = 0; parts.reduce((a, b) => a + b.length, 0) < 400 * 1024; size = (size * 7 + 13) % 9000, n++) {
    const text = n % 97 === 5 ? 'x'.repeat(40 * 1024) : n % 13 === 3 ? `café ${n}` : `${n} ${'a'.repeat(size)}`;
    lines.push(n % 31 === 7 ? '' : text);
    parts.push(Buffer.from(`${n % 31 === 7 ? '' : text}${n % 2 === 0 ? '\r\n' : '\n'}`, 'utf8'));
    if (n % 41 === 9) {
      parts.push(Buffer.from([0x41, 0xe9, 0x0a])); // "Aé" in Windows-1252: not UTF-8
      lines.push('Aé');
    }
  }
  const all = Buffer.concat(parts);
  t.deepEqual(decode([all]), lines);
  t.deepEqual(decode([all.subarray(0, 100_000), all.subarray(100_000)]), lines);
  // The parser's fast path gets the same lines as slices of the pieces.
  const sliced: string[] = [];
  const d = new LineDecoder({
    line: (l) => sliced.push(l),
    slice: (_bytes, _bs, _be, text, cs, ce) => sliced.push(text.slice(cs, ce)),
  });
  d.push(all);
  d.end();
  t.deepEqual(sliced, lines);
});

test('decodeCp1252 maps the 0x80–0x9F range and Latin-1 above it', (t) => {
  t.is(decodeCp1252(Buffer.from([0x80, 0x8a, 0x9f, 0xa0, 0xe9, 0xff])), '\u20ac\u0160\u0178\u00a0\u00e9\u00ff');
  t.is(decodeCp1252(Buffer.from([0x8d, 0x8f, 0x90, 0x9d])), '\u008d\u008f\u0090\u009d');
  t.is(decodeCp1252(Buffer.from('plain')), 'plain');
});
