import { deepStrictEqual } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { ownDir, sharedDir, wulogFixtures } from './helpers/wulog-fixtures.js';
import fc from 'fast-check';
import { isWuwatchError } from '../src/errors/errors.js';
import { detectLogKind, parseLog, WuLogParser, type Finding, type LogRecord } from '../src/wulog/index.js';

const fixtures = wulogFixtures;

/** Parses `buf` split at `cuts` through the streaming API, collecting what each push/end returns. */
function parseChunked(
  buf: Buffer,
  cuts: number[],
  maxLineBytes?: number,
): { records: LogRecord[]; findings: Finding[] } {
  const parser = new WuLogParser(undefined, maxLineBytes === undefined ? {} : { maxLineBytes });
  const records: LogRecord[] = [];
  const findings: Finding[] = [];
  let prev = 0;
  for (const cut of [...cuts, buf.length]) {
    const batch = parser.push(buf.subarray(prev, cut));
    records.push(...batch.records);
    findings.push(...batch.findings);
    prev = cut;
  }
  const last = parser.end();
  records.push(...last.records);
  findings.push(...last.findings);
  findings.sort((a, b) => a.line - b.line);
  return { records, findings };
}

test('fixture set covers BOM, CRLF, cp1252 and multi-byte UTF-8 input', (t) => {
  const bytes = fixtures.map(([, b]) => b);
  t.true(bytes.some((b) => b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf));
  t.true(bytes.some((b) => b.includes('\r\n')));
  t.true(bytes.some((b) => b.includes(0xe9) && !b.toString('utf8').includes('é')));
  t.true(bytes.some((b) => b.toString('utf8').includes('🚀')));
  t.true(fixtures.length >= 12);
});

test('property: any chunking of any fixture gives the same records and findings as the whole file', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...fixtures), fc.array(fc.nat(), { maxLength: 40 }), ([, buf], raw) => {
      const cuts = [...new Set(raw.map((n) => n % (buf.length + 1)))].sort((a, b) => a - b);
      deepStrictEqual(parseChunked(buf, cuts), parseLog(buf));
    }),
    { numRuns: 300 },
  );
  t.pass('fast-check found no chunking that changes the result');
});

test('property: chunking invariance holds with line truncation too', (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...fixtures),
      fc.array(fc.nat(), { maxLength: 40 }),
      fc.integer({ min: 4, max: 200 }),
      ([, buf], raw, maxLineBytes) => {
        const cuts = [...new Set(raw.map((n) => n % (buf.length + 1)))].sort((a, b) => a - b);
        deepStrictEqual(parseChunked(buf, cuts, maxLineBytes), parseChunked(buf, [], maxLineBytes));
      },
    ),
    { numRuns: 150 },
  );
  t.pass('fast-check found no chunking that changes the truncated result');
});

test('byte-by-byte feeding of the BOM/CRLF file equals the whole-file parse', (t) => {
  const buf = readFileSync(ownDir + 'legacy-crlf-bom.log');
  const cuts = Array.from({ length: buf.length - 1 }, (_, i) => i + 1);
  t.deepEqual(parseChunked(buf, cuts), parseLog(buf));
  t.is(parseLog(buf).records[0]!.time, '2021-03-02T09:00:00.001');
  t.false(parseLog(buf).records.some((r) => r.text.endsWith('\r')));
});

test('parseLog accepts a string and gives the same result as its UTF-8 bytes', (t) => {
  const buf = readFileSync(ownDir + 'modern-utf8-multibyte.log');
  t.deepEqual(parseLog(buf.toString('utf8')), parseLog(buf));
});

test('WuLogParser with a sink streams records and findings and returns empty batches', (t) => {
  const buf = readFileSync(sharedDir + 'pasted/field-report-80244022.log');
  const records: LogRecord[] = [];
  const findings: Finding[] = [];
  const parser = new WuLogParser({ onRecord: (r) => records.push(r), onFinding: (f) => findings.push(f) });
  const first = parser.push(buf.subarray(0, 1000));
  t.deepEqual(first, { records: [], findings: [] });
  t.true(records.length > 0 && records.length < 49, 'records arrive as their lines complete');
  parser.push(buf.subarray(1000));
  parser.end();
  t.is(records.length, 49);
  t.deepEqual(findings.map((f) => f.kind).sort(), ['detection', 'network_error', 'network_error']);
});

test('a detection is emitted as soon as its END line is read', (t) => {
  const parser = new WuLogParser();
  const batch = parser.push(
    Buffer.from(
      '** START ** Agent: Finding updates [CallerId = X]\n* Found 2 updates and 1 categories in search\n** END ** Agent: Finding updates [CallerId = X]\n',
    ),
  );
  t.like(batch.findings[0], { kind: 'detection', outcome: 'succeeded', updatesFound: 2 });
  t.is(batch.records.length, 3);
});

test('push or end after end() is a catalogued error', (t) => {
  const parser = new WuLogParser();
  parser.end();
  t.true(
    isWuwatchError(
      t.throws(() => parser.push(Buffer.from('x'))),
      'WULOG_PARSER_ENDED',
    ),
  );
  t.true(
    isWuwatchError(
      t.throws(() => parser.end()),
      'WULOG_PARSER_ENDED',
    ),
  );
});

test('detectLogKind: legacy, modern, ETW stub (UTF-8 and UTF-16), unknown', (t) => {
  t.is(detectLogKind(readFileSync(sharedDir + 'real/legacy-win7.log').subarray(0, 4096)), 'legacy');
  t.is(detectLogKind(readFileSync(sharedDir + 'real/modern-server2019-wsus.log').subarray(0, 4096)), 'modern');
  t.is(detectLogKind(readFileSync(ownDir + 'legacy-crlf-bom.log')), 'legacy');
  t.is(detectLogKind(readFileSync(ownDir + 'pasted-spaces.log')), 'legacy');
  t.is(detectLogKind(readFileSync(ownDir + 'modern-dot-older-build.log')), 'modern');
  t.is(detectLogKind(readFileSync(sharedDir + 'pasted/field-report-80244022.log')), 'unknown');
  const stub =
    'Windows Update logs are now generated using ETW (Event Tracing for Windows).\r\n' +
    "Please run the Windows PowerShell cmdlet 'Get-WindowsUpdateLog' and redirect the output to a file to view the logs.\r\n";
  t.is(detectLogKind(Buffer.from(stub)), 'etw_stub');
  t.is(detectLogKind(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(stub, 'utf16le')])), 'etw_stub');
  t.is(detectLogKind(Buffer.alloc(0)), 'unknown');
  t.is(detectLogKind(Buffer.from([0xff, 0x00, 0x81, 0x9d])), 'unknown');
});

test('findings-only parsing (lines no matcher wants are skipped unbuilt) finds exactly what record parsing finds', async (t) => {
  const { generate } = await import('../../../bench/parse-data.js');
  const inputs: [string, Buffer][] = [
    ...fixtures,
    ['generated legacy', generate(false, 2 * 1024 * 1024)],
    ['generated modern', generate(true, 2 * 1024 * 1024)],
  ];
  for (const [name, bytes] of inputs) {
    for (const chunk of [7, 4096, 65536]) {
      const run = (withRecords: boolean) => {
        const findings: unknown[] = [];
        const snapshots: unknown[] = [];
        const parser = new WuLogParser({
          onFinding: (f) => findings.push(f),
          ...(withRecords ? { onRecord: () => undefined } : {}),
        });
        for (let off = 0; off < bytes.length; off += chunk) {
          parser.push(bytes.subarray(off, off + chunk));
          if (off % (chunk * 97) === 0) snapshots.push(parser.snapshot());
        }
        parser.end();
        return { findings, snapshots };
      };
      t.deepEqual(run(false), run(true), `${name}, chunks of ${chunk}`);
    }
  }
});
