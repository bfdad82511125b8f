import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { lineLayout, parseRecord, type Severity } from '../src/wulog/index.js';
import { bodyStart, startsWithAt } from '../src/wulog/message.js';
import { FastRecordParser } from '../src/wulog/records-fast.js';

test('legacy TAB layout: padded PID, hex TID, colon before the milliseconds, TABs kept inside the text', (t) => {
  const line = '2021-08-28\t11:05:07:920\t 576\ta70\tReport\tREPORT EVENT: {A}\t2021-08-28 11:05:07:920+0530\t1';
  t.deepEqual(parseRecord(line, 7), {
    line: 7,
    time: '2021-08-28T11:05:07.920',
    pid: 576,
    tid: 'a70',
    component: 'Report',
    severity: 'info',
    text: 'REPORT EVENT: {A}\t2021-08-28 11:05:07:920+0530\t1',
  });
});

test('legacy text keeps its indentation and gets its severity after the indent marker', (t) => {
  const r = parseRecord('2014-05-14\t03:12:52:156\t 880\tb6c\tAgent\t  * WARNING: Exit code = 0x80244022', 1);
  t.is(r.text, '  * WARNING: Exit code = 0x80244022');
  t.is(r.severity, 'warning');
  t.is(r.pid, 880);
  t.is(r.tid, 'b6c');
});

test('modern layout with `/`, `-` and `.` dates keeps all 7 fraction digits and decimal TIDs', (t) => {
  for (const sep of ['/', '-', '.']) {
    const r = parseRecord(`2024${sep}03${sep}05 09:14:02.1234567 1234  5678  Agent           Found 0 updates`, 3);
    t.deepEqual(r, {
      line: 3,
      time: '2024-03-05T09:14:02.1234567',
      pid: 1234,
      tid: '5678',
      component: 'Agent',
      severity: 'info',
      text: 'Found 0 updates',
    });
  }
});

test('modern text keeps indentation beyond the 15-wide component column', (t) => {
  const r = parseRecord('2021/07/13 10:23:06.4186097 3696  4248  Agent               Timer: 29A8, Expires', 1);
  t.is(r.text, '    Timer: 29A8, Expires');
  t.is(parseRecord('2021/07/13 10:23:06.4714834 3696  4248  Agent           Adding timer: ', 1).text, 'Adding timer: ');
});

test('modern columns pushed right by long values are found by scanning, not offsets', (t) => {
  const r = parseRecord('2021/07/13 10:23:06.4454520 123456 7890123 DownloadManagerEx Download manager restoring 0', 1);
  t.is(r.pid, 123456);
  t.is(r.tid, '7890123');
  t.is(r.component, 'DownloadManagerEx');
  t.is(r.text, 'Download manager restoring 0');
});

test('modern culture variants: `.` as time separator and unpadded month/day', (t) => {
  t.is(parseRecord('2024.03.05 09.14.02.1234567 1234  5678  Agent           x', 1).time, '2024-03-05T09:14:02.1234567');
  const loose = parseRecord('2024/3/5 9:14:02.12 1234 5678 Agent x', 1);
  t.is(loose.time, '2024-03-05T09:14:02.12');
  t.is(loose.component, 'Agent');
});

test('legacy line whose TABs became spaces (pasted) is still split into columns', (t) => {
  const r = parseRecord(
    '2014-05-14      03:12:52:156     880    b6c     Misc    WARNING: DownloadFileInternal failed',
    4,
  );
  t.deepEqual(r, {
    line: 4,
    time: '2014-05-14T03:12:52.156',
    pid: 880,
    tid: 'b6c',
    component: 'Misc',
    severity: 'warning',
    text: 'WARNING: DownloadFileInternal failed',
  });
  t.is(parseRecord('2014-05-14 03:12:52.156 880 b6c Misc x', 1).time, '2014-05-14T03:12:52.156');
});

test('bare pasted lines: everything is text', (t) => {
  t.deepEqual(parseRecord('* WARNING: Exit code = 0x80244022', 9), {
    line: 9,
    time: null,
    pid: null,
    tid: null,
    component: null,
    severity: 'warning',
    text: '* WARNING: Exit code = 0x80244022',
  });
  // A message that merely starts with a component name followed by one space is not split.
  const au = parseRecord('AU setting next detection timeout to yyyy-mm-dd hh:mm:ss', 1);
  t.is(au.component, null);
  t.is(au.text, 'AU setting next detection timeout to yyyy-mm-dd hh:mm:ss');
});

test('bare line with a known component before a TAB or two spaces: the component is peeled off', (t) => {
  const r = parseRecord('Agent\t  * WSUS server: <NULL>', 1);
  t.is(r.component, 'Agent');
  t.is(r.text, '* WSUS server: <NULL>');
  t.is(parseRecord('PT  WARNING: PTError: 0x80244022', 1).component, 'PT');
  t.is(parseRecord('Hello  world', 1).component, null);
});

test('implausible dates do not make a header', (t) => {
  t.is(parseRecord('2021-13-28\t11:05:07:920\t 576\ta70\tMisc\tx', 1).time, null);
  t.is(parseRecord('2021/07/13 25:23:06.4186097 3696  4248  Agent  x', 1).time, null);
  t.is(parseRecord('2021-08-28\t11:05:07:920\t 5x6\ta70\tMisc\tx', 1).pid, null);
});

test('severity: WARNING/FATAL prefixes after `* `, `# ` and blanks; anything else is info', (t) => {
  const cases: [string, Severity][] = [
    ['WARNING: x', 'warning'],
    ['  * WARNING: x', 'warning'],
    ['# WARNING: x', 'warning'],
    ['  # WARNING: x', 'warning'],
    ['FATAL: SelfUpdate check failed', 'fatal'],
    ['* START * Finding updates', 'info'],
    ['*FAILED* [8024401C] Sync', 'info'],
    ['Some WARNING: later', 'info'],
  ];
  for (const [text, severity] of cases) t.is(parseRecord(text, 1).severity, severity, text);
});

test('lineLayout tells legacy, modern and bare lines apart', (t) => {
  t.is(lineLayout('2021-08-28\t11:05:07:920\t 576\ta70\tMisc\tx'), 'legacy');
  t.is(lineLayout('2021-08-28 11:05:07:920 576 a70 Misc x'), 'legacy');
  t.is(lineLayout('2021/07/13 10:23:06.4186097 3696  4248  Agent  x'), 'modern');
  t.is(lineLayout('** START ** Agent: Finding updates'), 'bare');
});

test('the byte-level fast path gives exactly the records of parseRecord, line by line', (t) => {
  const dirs = [
    fileURLToPath(new URL('./fixtures/shared/wulog/real/', import.meta.url)),
    fileURLToPath(new URL('./fixtures/shared/wulog/pasted/', import.meta.url)),
    fileURLToPath(new URL('./fixtures/wulog/', import.meta.url)),
  ];
  // Mixed layouts and repeated stamps exercise the fast path's string caches.
  const mixed = [
    '2021-08-28\t11:05:07:920\t 576\ta70\tMisc\tone',
    '2021/08/28 11:05:08.0000005 576   2672  Misc            two',
    '2021-08-28\t11:05:08:000\t 576\ta70\tMisc\tthree',
    '2021-08-28\t11:05:08:000\t 576\ta70\tAgent\tfour',
    '2021-08-28\t11:05:08:005\t 577\tb71\tAgent\tfive',
    '2021.08.29 00:00:00.1 1 2 C',
    '2021-08-28 11:05:08.123 1234 5678 Agent text',
    '2021-08-28\t11:05:08:005\t 577\tb71\tAgént\tnon-ASCII component',
    // Repeated headers (the fast path reuses the previous line's), including non-canonical modern padding.
    '2021-08-28\t11:05:08:005\t 577\tb71\tAgent\tsix',
    '2021-08-28\t11:05:08:005\t 577\tb71\tAgent\t  * WARNING: seven',
    '2021-08-28\t11:05:08:005\t 577\tb71\tAgent\t',
    '2021/08/28 11:05:08.0000005 576   2672  Misc            eight',
    '2021/08/28 11:05:08.0000005 576   2672  Misc               nine, indented',
    '2021/08/28 11:05:08.0000005 576   2672  Misc   ten',
    '2021/08/28 11:05:08.0000005 576   2672  Misc      eleven',
    '2021/08/28 11:05:08.0000005 576   2672  Misc',
    // The timestamp cache compares the date and clock bytes with the last line's: same digits with other separators,
    // an implausible clock or date between good ones, the same clock on another day, the same millisecond in another
    // second, fraction lengths around the seven-digit shortcut.
    '2021.08.28 11:05:08.0000005 576   2672  Misc            dots',
    '2021-08-28 11:05:08.0000005 576   2672  Misc            dashes',
    '2021-08-28\t11:05:61:005\t 577\tb71\tAgent\tbad second',
    '2021-08-28\t11:05:08:005\t 577\tb71\tAgent\tback',
    '2021-08-29\t11:05:08:005\t 577\tb71\tAgent\tnext day, same clock',
    '2021-13-29\t11:05:08:005\t 577\tb71\tAgent\tbad month',
    '2021-08-29\t11:05:09:005\t 577\tb71\tAgent\tsame millisecond, next second',
    '2021/08/29 11:05:09.123456 576   2672  Misc            six digits',
    '2021/08/29 11:05:09.12345678 576   2672  Misc            eight digits',
    '2021/08/29 11:05:09.1234567x 576   2672  Misc            not a digit',
    '2021/08/29 11:05:09.1234567 576   2672  DownloadManagerEx        long component, padding after it',
    '2021/08/29 11:05:09.1234567 576   2672  Misc                      padding beyond the column',
    // TIDs with equal values must keep their own spelling.
    '2021-08-28\t11:05:08:005\t 577\tA70\tAgent\tupper',
    '2021-08-28\t11:05:08:005\t 577\ta70\tAgent\tlower',
    '2021-08-28\t11:05:08:005\t 577\t10\tAgent\thex 16',
    '2021/08/28 11:05:08.0000005 576   16    Misc            decimal 16',
    '2021/08/28 11:05:08.0000005 576   016   Misc            leading zero',
    // Pasted lines: spaces for TABs (both millisecond separators, runs of blanks, TABs mixed in), indented lines.
    '2008-03-22 18:53:24:377 808 ba0 Misc WARNING: WinHttp: SendRequest failed with 0x80190194',
    '2008-03-22 18:53:24.377  808   BA0  Misc   two blanks each',
    '2008-03-22\t18:53:24:377 \t 808\tba0 Agent\t  * WSUS server: http://x',
    '2008-03-22 18:53:24:377 808 ba0 Misc',
    '2008-03-22 18:53:24:377 808 ba0 Misc ',
    '2008-03-22 18:53:24:377 808 ba0 Misc \t ',
    '2008-03-22 18:53:24:377 808 ba0 Misc text with a\rCR',
    '2008-03-22 18:53:24:377 808 ba0 Mi\x0bsc vertical tab in the component',
    '2008-03-22 18:53:24:377 808 ba0 Misc\x0bvertical tab after it',
    '2008-03-22 18:53:24:377 12345678901 ba0 Misc eleven-digit pid',
    '2008-03-22 18:53:24:377 0808 0ba0 Misc leading zeros',
    '2008-03-22  18:53:24:377 808 ba0 Misc two blanks before the clock',
    '2014-05-14      03:12:46:859     880    a40     Agent     * WSUS server: http://wsus',
    '2014-05-14 \t 03:12:46.859 880 a40 Agent column-aligned',
    '2014-05-14            ',
    '2014-05-14            03:12:46:859',
    '2008-03-22 18:53:24:377 808 bg0 Misc not hex',
    '2008-02-30 18:53:24:377 808 ba0 Misc no such day',
    '2008-03-22 24:53:24:377 808 ba0 Misc no such hour',
    '2008-03-22 18:53:24:377 808 ba0 Misc text with é',
    '   2010-01-05 18:52:06:747 808 aac Misc WARNING: indented, spaced',
    '\t2010-01-05\t18:52:06:747\t 808\taac\tMisc\tindented, TABs',
    '  2021/08/28 11:05:08.0000005 576   2672  Misc            indented modern',
    '         2010-01-05 18:52:06:747 808 aac Misc nine blanks: a continuation',
    '        2010-01-05 18:52:06:747 808 aac Misc eight blanks',
    '    ',
    '  x2010-01-05 18:52:06:747 808 aac Misc not a digit after the indent',
  ].join('\n');
  let checked = 0;
  const files = dirs.flatMap((dir) => readdirSync(dir).map((name) => readFileSync(dir + name)));
  for (const buf of [...files, Buffer.from(mixed, 'utf8')]) {
    const fast = new FastRecordParser();
    // Byte offsets must track character offsets: a file that is not UTF-8 is read as Latin-1 (one byte, one char).
    const utf8 = isUtf8(buf);
    const text = buf.toString(utf8 ? 'utf8' : 'latin1');
    let charStart = 0;
    let byteStart = 0;
    let line = 0;
    for (const raw of text.split('\n')) {
      const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const byteLen = utf8 ? Buffer.byteLength(content) : content.length;
      line++;
      const r = fast.parse(buf, byteStart, byteStart + byteLen, text, charStart, charStart + content.length, line);
      if (r !== null) {
        t.deepEqual(r, parseRecord(content, line), content);
        t.is(buf.toString(utf8 ? 'utf8' : 'latin1', byteStart, byteStart + byteLen), content);
        t.is(fast.bodyAt, bodyStart(r.text, r.severity), content);
        checked++;
      }
      charStart += raw.length + 1;
      byteStart += (utf8 ? Buffer.byteLength(raw) : raw.length) + 1;
    }
  }
  t.true(checked > 300, `${checked} lines went through the fast path`);
});

test('property: startsWithAt agrees with String.prototype.startsWith', (t) => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '\t'), maxLength: 12 });
  t.notThrows(() =>
    fc.assert(
      fc.property(text, text, fc.nat(14), (s, word, at) => {
        fc.pre(word.length > 0);
        return startsWithAt(s, word, at) === s.startsWith(word, at);
      }),
      { numRuns: 2000 },
    ),
  );
});

test('property: pasted lines (spaced, indented) read on the bytes give the records of parseRecord', (t) => {
  const blank = fc.constantFrom(' ', '\t', '  ', ' \t', '   ');
  const piece = (units: string[], max: number) => fc.string({ unit: fc.constantFrom(...units), maxLength: max });
  const line = fc
    .tuple(
      fc.constantFrom('', ' ', '\t', '   ', '        ', '         '),
      fc.constantFrom('2008-03-22', '2008-02-30', '2008-03-2x'),
      blank,
      fc.constantFrom('18:53:24', '23:59:60', '24:00:00'),
      fc.constantFrom(':', '.', ','),
      piece(['0', '3', '7', 'x'], 4),
      blank,
      piece(['0', '8', ' ', 'a'], 12),
      blank,
      piece(['0', 'a', 'F', 'g', ' '], 10),
      blank,
      piece(['M', 'i', 's', 'c', '\v', '\f', 'é', ' '], 6),
      fc.constantFrom('', ' ', '\t', '  \t'),
      piece(['a', ' ', '\t', '\r', 'é', 'W', 'A', 'R', 'N', 'I', 'G', ':', '*', 'f', 'l', '{', 'S', 'T'], 14),
    )
    .map((parts) => parts.join(''));
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        const buf = Buffer.from(text, 'utf8');
        const fast = new FastRecordParser();
        let bs = 0;
        let cs = 0;
        lines.forEach((l, i) => {
          const len = Buffer.byteLength(l);
          // The decoder passes a non-ASCII line as its own decoded text (characters from 0).
          const ascii = len === l.length;
          const r = ascii
            ? fast.parse(buf, bs, bs + len, text, cs, cs + l.length, i + 1)
            : fast.parse(buf, bs, bs + len, l, 0, l.length, i + 1);
          if (r !== null) {
            t.deepEqual(r, parseRecord(l, i + 1), JSON.stringify(l));
            t.is(fast.bodyAt, bodyStart(r.text, r.severity), JSON.stringify(l));
          }
          bs += len + 1;
          cs += l.length + 1;
        });
      }),
      { numRuns: 3000 },
    ),
  );
});
