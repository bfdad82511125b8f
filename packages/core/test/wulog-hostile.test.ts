// Property tests over hostile log bytes (issue 14): arbitrary bytes, generated lines in every layout the parser reads
// with hostile fields, mutated real fixtures, UTF-16LE, huge lines. The parser must never throw, never hang, and
// never yield a finding the wire would refuse; chunked parsing, a checkpoint between chunks and findings-only parsing
// must give what one whole-buffer parse gives.
import { deepStrictEqual, ok } from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { checkEventData } from '../src/protocol/event-data.js';
import { logDetectionData } from '../src/protocol/log-data.js';
import { HRESULT_PATTERN, LIMITS } from '../src/protocol/schemas.js';
import { isCalendarDate } from '../src/wulog/calendar.js';
import { ParserStateSchema } from '../src/wulog/state.js';
import { parseLog, WuLogParser, type Finding, type LogRecord } from '../src/wulog/index.js';
import { HOSTILE_SNIPPETS, mutate, mutationsArb, stringsIn, timed, utf16le } from './helpers/hostile.js';
import { wulogFixtures } from './helpers/wulog-fixtures.js';

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

/** True when `t` is a local time as the parser writes it, on a real calendar day (a leap second allowed). */
function isLocalTime(t: string): boolean {
  const m = LOCAL_TIME.exec(t);
  if (m === null) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return isCalendarDate(y, mo, d) && h < 24 && mi < 60 && s <= 60;
}

/** The wire data of a finding, shaped as the agent's logFindingToEvent shapes it. */
function wireData(f: Finding): Record<string, unknown> {
  if (f.kind === 'detection') return logDetectionData(f, f.start);
  const { kind: _kind, time: _time, ...rest } = f;
  return rest;
}

/** Throws when a finding is not one the wire accepts (see the file comment). */
function checkFinding(f: Finding, lines: number): void {
  ok(Number.isSafeInteger(f.line) && f.line >= 1 && f.line <= lines, `line ${f.line} of ${lines}`);
  const times = f.kind === 'detection' ? [f.start, f.end] : [f.time];
  for (const t of times) ok(t === null || isLocalTime(t), `time ${JSON.stringify(t)?.slice(0, 80)}`);
  if (f.kind !== 'settings') ok(f.hresult === null || HRESULT_PATTERN.test(f.hresult), `hresult ${f.hresult}`);
  for (const s of stringsIn(f)) ok(s.length <= LIMITS.maxTextField, `a string of ${s.length} characters`);
  const problem = checkEventData(f.kind, wireData(f));
  ok(problem === null, `${f.kind}: ${problem}`);
}

/** Records and findings of `buf` split at `cuts`, with a JSON checkpoint and a fresh parser at `restartAt` (a cut). */
function parseChunked(buf: Buffer, cuts: number[], restartAt: number): { records: LogRecord[]; findings: Finding[] } {
  const records: LogRecord[] = [];
  const findings: Finding[] = [];
  const sink = { onRecord: (r: LogRecord) => records.push(r), onFinding: (f: Finding) => findings.push(f) };
  let parser = new WuLogParser(sink);
  let prev = 0;
  for (const cut of [...cuts, buf.length]) {
    parser.push(buf.subarray(prev, cut));
    prev = cut;
    if (cut === restartAt) {
      const state: unknown = JSON.parse(JSON.stringify(parser.snapshot()));
      const checked = ParserStateSchema.safeParse(state);
      ok(checked.success, `the snapshot passes its schema: ${JSON.stringify(checked.error?.issues[0])}`);
      parser = new WuLogParser(sink);
      parser.restore(state);
    }
  }
  parser.end();
  findings.sort((a, b) => a.line - b.line);
  return { records, findings };
}

/** Findings when nobody wants records (the path that skips lines no matcher wants without building them). */
function findingsOnly(buf: Buffer): Finding[] {
  const findings: Finding[] = [];
  const parser = new WuLogParser({ onFinding: (f) => findings.push(f) });
  parser.push(buf);
  parser.end();
  return findings.sort((a, b) => a.line - b.line);
}

/** Every property of the file comment for one input; `budgetMs` bounds the whole-buffer parse. */
function checkInput(buf: Buffer, cutsRaw: number[], budgetMs: number): void {
  const whole = timed(() => parseLog(buf));
  if (whole.error !== undefined) throw whole.error as Error;
  ok(whole.ms < budgetMs, `parsing ${buf.length} bytes took ${whole.ms.toFixed(0)} ms`);
  const { records, findings } = whole.value!;
  for (const f of findings) checkFinding(f, records.length);
  const cuts = [...new Set(cutsRaw.map((n) => n % (buf.length + 1)))].sort((a, b) => a - b);
  const restartAt = cuts.length > 0 ? cuts[cutsRaw[0]! % cuts.length]! : -1;
  deepStrictEqual(parseChunked(buf, cuts, restartAt), { records, findings });
  deepStrictEqual(findingsOnly(buf), findings);
}

// Lines in every layout the parser reads, with hostile dates, fields and values.
const legacyHeader = fc
  .record({
    date: fc.constantFrom(
      '2024-01-02',
      '2024-02-29',
      '2023-02-29',
      '0000-01-01',
      '2024-02-31',
      '2024-13-01',
      '9999-12-31',
    ),
    clock: fc.constantFrom('03:04:05:678', '23:59:60:000', '24:00:00:000', '12:60:00:000'),
    pid: fc.constantFrom(' 576', '1234', '99999999999999999999'),
    tid: fc.constantFrom('19d4', 'A70', '1', 'ffffffffffffffffffff'),
    comp: fc.constantFrom('Agent', 'COMAPI', 'PT', 'Handler', 'Report', ''),
    sep: fc.constantFrom('\t', ' ', '  '),
  })
  .map((h) => [h.date, h.clock, h.pid, h.tid, h.comp, ''].join(h.sep));
const modernHeader = fc
  .record({
    date: fc.constantFrom('2021/07/13', '2021-07-13', '2021.07.13', '0000/01/01', '2021/02/30', '2021/7/3'),
    frac: fc.constantFrom('9553434', '123', '', '1'.repeat(40)),
    comp: fc.constantFrom('Agent          ', 'ComApi         ', 'ProtocolTalker ', 'DownloadManager'),
  })
  .map((h) => `${h.date} 10:22:58${h.frac === '' ? '' : '.' + h.frac} 3696  8172  ${h.comp} `);
const header = fc.oneof(legacyHeader, modernHeader, fc.constantFrom('', '   ', '\t', 'Agent\t', 'PT  '));
const field = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '0x8024402C',
    '8024002e',
    '0x',
    'ffffffffff',
    '-1',
    '99999999999999999999',
    '',
    ' '.repeat(5000),
    'x'.repeat(3000),
  ),
);
const message = fc.oneof(
  fc.constantFrom(
    '** START **  Agent: Finding updates [CallerId = %]',
    '**  END  **  Agent: Finding updates [CallerId = %]',
    '* START * Finding updates CallerId = %  Id = %',
    '* END * Finding updates CallerId = %, Id = %, Exit code = %',
    '  * ServiceID = {%} Managed',
    '  * ServiceId = {%}, Server URL = %',
    '  * Server URL = %',
    '  * Found % updates and % categories in search',
    '  * WSUS server: %',
    '  * WSUS status server: %',
    '  * Target group: %',
    '  * Windows Update access disabled: %',
    'Exit code = %',
    'Skipping scan, self-update check returned %',
    'Failed to synchronize, error = %',
    'WARNING: SendRequest failed with hr = %. error %',
    'WARNING: WinHttp: SendRequestUsingProxy failed for <%>. error %',
    "WS error: There was an error communicating with the endpoint at '%'.",
    'Web service call failed with hr = %.',
    'FATAL: GetConfig failure, error = %, soap client error = 5, HTTP status code = %',
    'REPORT EVENT: {%}\t2024-04-17 05:14:55:630-0400\t1\t148 [AGENT_DETECTION_FAILED]\t101\t{%}\t1\t%\t%\tFailure\tSoftware Synchronization\t%',
    'REPORT EVENT: {%} 2024-04-17 05:14:55:630-0400 1 148 [AGENT_DETECTION_FAILED] 101 {%} 0 % % Failure Content Install %',
    '{8F8EA247-1586-48E4-A5F6-1D19A9343341} 2024-04-31 05:14:55:630-0400 1 148 [AGENT_DETECTION_FAILED] 101 {%} 0',
    '** START **  Agent: Installing updates [CallerId = %]',
    '  * Title = %',
    'Installation Failure: Windows failed to install the following update with error %: %',
    'Installation Successful: Windows successfully installed the following update: %',
    'LogHistory called. idUpdate={%}.%, resultMapped=%, resultUx=%',
    'Install call complete (succeeded = %, succeeded with errors = %, failed = %, cancelled = 0)',
    'Exit code = %; Call error code = %',
    'Failed to install update %, error %',
  ),
  fc.string({ maxLength: 80 }),
);
const lineArb = fc
  .tuple(header, message, fc.array(field, { minLength: 6, maxLength: 6 }))
  .map(([h, m, fields]) => h + m.split('%').reduce((acc, part, i) => acc + fields[i - 1] + part));
const generatedLog = fc
  .record({
    lines: fc.array(lineArb, { maxLength: 30 }),
    eol: fc.constantFrom('\n', '\r\n', '\r', '\n\r'),
    encoding: fc.constantFrom('utf8', 'latin1', 'utf16le'),
    edits: mutationsArb,
  })
  .map(({ lines, eol, encoding, edits }) => {
    const text = lines.join(eol) + eol;
    return mutate(encoding === 'utf16le' ? utf16le(text) : Buffer.from(text, encoding), edits);
  });

test('property: arbitrary bytes never throw and yield only findings the wire accepts', (t) => {
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        checkInput(Buffer.from(bytes), cuts, 2000);
      }),
      { numRuns: 300, includeErrorInReport: true },
    ),
  );
});

test('property: generated lines in every layout with hostile fields (any line end, UTF-16LE, edits)', (t) => {
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(generatedLog, fc.array(fc.nat(), { maxLength: 8 }), (buf, cuts) => {
        checkInput(buf, cuts, 2000);
      }),
      { numRuns: 400, includeErrorInReport: true },
    ),
  );
});

test('property: mutated real fixtures (and their UTF-16LE copies) keep every invariant', (t) => {
  const fixtures = wulogFixtures.map(([, b]) => b);
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.boolean(),
        mutationsArb,
        fc.array(fc.nat(), { maxLength: 8 }),
        (buf, wide, edits, cuts) => {
          checkInput(mutate(wide ? utf16le(buf.toString('utf8')) : buf, edits), cuts, 2000);
        },
      ),
      { numRuns: 150, includeErrorInReport: true },
    ),
  );
});

test('property: huge lines (a megabyte of blanks, NULs, digits or text after a key prefix) parse in bounded time', (t) => {
  const prefixes = [
    '2024-01-02\t03:04:05:678\t 576\t19d4\tAgent\tWARNING: SendRequest failed for http://x error',
    '2024-01-02\t03:04:05:678\t 576\t19d4\tAgent\tREPORT EVENT: {a} b c 1 2 3 {x} 4 80244022 ',
    '2024-01-02\t03:04:05:678\t 576\t19d4\tAgent\tInstallation Failure: Windows failed to install the following update:',
    '2024-01-02\t03:04:05:678\t 576\t19d4\tAgent\t** START **  Agent: Finding updates [CallerId = ',
    '2021/07/13 10:22:58.',
    '2021/07/13 10:22:58.9553434 3696  8172  Agent           * START * Finding updates CallerId = ',
    '{8F8EA247-1586-48E4-A5F6-1D19A9343341} 2024-04-17 05:14:55:630-0400 1 148 ',
    '  2024-01-02 03:04:05:678 576 19d4 Agent ',
    'Agent  FATAL: GetConfig failure, error = ',
  ];
  const fills = [' ', '\t', '\0', '1', 'a', '=', 'error ', '{', '\r'];
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.constantFrom(...fills), fc.boolean(), (prefix, fill, closed) => {
        const line = prefix + fill.repeat(Math.floor(300_000 / fill.length)) + (closed ? ' Failure x]\n' : '');
        const buf = Buffer.from(line + '2024-01-02\t03:04:05:678\t 576\t19d4\tAgent\tExit code = 0x8024402C\n');
        const r = timed(() => parseLog(buf));
        if (r.error !== undefined) throw r.error as Error;
        ok(r.ms < 1500, `${JSON.stringify(prefix.slice(-20))} + ${JSON.stringify(fill)}: ${r.ms.toFixed(0)} ms`);
        for (const f of r.value!.findings) checkFinding(f, r.value!.records.length);
      }),
      { numRuns: 40, includeErrorInReport: true },
    ),
  );
});

test('snippets used by the generators are what they claim (a NUL run, a lone CR, an invalid UTF-8 surrogate)', (t) => {
  t.true(HOSTILE_SNIPPETS.some((s) => s.length > 1 && s.every((b) => b === 0)));
  t.true(HOSTILE_SNIPPETS.some((s) => s.equals(Buffer.from('\r'))));
  t.true(HOSTILE_SNIPPETS.some((s) => s[0] === 0xed && s[1] === 0xa0));
});

// Regressions the properties found, kept as plain examples.

const LEGACY = '2024-01-02\t03:04:05:678\t 576\t19d4\tAgent\t';

test('regression: a caller, server URL or title longer than the wire allows is cut to LIMITS.maxTextField', (t) => {
  const long = 'a'.repeat(5000);
  const { findings } = parseLog(
    [
      `${LEGACY}** START **  Agent: Finding updates [CallerId = ${long}]`,
      `${LEGACY}  * Server URL = http://${long}`,
      `${LEGACY}**  END  **  Agent: Finding updates [CallerId = ${long}]`,
      `${LEGACY}Installation Failure: Windows failed to install the following update with error 0x80070643: ${long}`,
    ].join('\n'),
  );
  t.is(findings.length, 2);
  for (const f of findings) checkFinding(f, 4);
  t.like(findings[0], { kind: 'detection', outcome: 'succeeded' });
  t.is((findings[0] as { caller: string }).caller.length, LIMITS.maxTextField);
  t.is((findings[1] as { title: string }).title.length, LIMITS.maxTextField);
});

test('regression: a cut never splits a surrogate pair', (t) => {
  const caller = 'a'.repeat(LIMITS.maxTextField - 1) + '😀' + 'b';
  const { findings } = parseLog(`${LEGACY}** START **  Agent: Finding updates [CallerId = ${caller}]\n`);
  const got = (findings[0] as { caller: string }).caller;
  t.is(got, 'a'.repeat(LIMITS.maxTextField - 1));
});

test('regression: dates that do not exist (year 0000, 31 February) and 40 fraction digits are not log headers', (t) => {
  for (const head of [
    '0000-01-02\t03:04:05:678\t 576\t19d4\tAgent\t',
    '2023-02-29\t03:04:05:678\t 576\t19d4\tAgent\t',
    '2024-04-31 03:04:05:678 576 19d4 Agent ',
    `2021/07/13 10:22:58.${'1'.repeat(40)} 3696  8172  Agent           `,
    '2021/02/30 10:22:58.9553434 3696  8172  Agent           ',
  ]) {
    const { records, findings } = parseLog(`${head}** START **  Agent: Finding updates [CallerId = X]\n`);
    t.is(records[0]!.time, null, head);
    for (const f of findings) checkFinding(f, 1);
  }
  // A leap day and a real modern line still are.
  t.is(parseLog(`2024-02-29\t03:04:05:678\t 576\t19d4\tAgent\tx\n`).records[0]!.time, '2024-02-29T03:04:05.678');
  t.is(
    parseLog('2021/07/13 10:22:58.9553434 3696  8172  Agent           x\n').records[0]!.time,
    '2021-07-13T10:22:58.9553434',
  );
});

test('regression: a pasted report whose own date does not exist gets no time', (t) => {
  const { findings } = parseLog(
    '{8F8EA247-1586-48E4-A5F6-1D19A9343341} 2024-04-31 05:14:55:630-0400 1 148 [AGENT_DETECTION_FAILED] 101 {00000000-0000-0000-0000-000000000000} 0 8024002e Caller Failure Software Synchronization Windows Update Client failed to detect with error 0x8024002e.\n',
  );
  t.is(findings.length, 1);
  t.like(findings[0], { kind: 'detection', start: null, outcome: 'failed', hresult: '0x8024002E' });
});

test('regression: "error" followed by a megabyte of blanks is read in linear time (was quadratic)', (t) => {
  const r = timed(() => parseLog(`${LEGACY}WARNING: SendRequest failed for http://x error${' '.repeat(1 << 20)}\n`));
  t.is(r.error, undefined);
  t.true(r.ms < 1500, `${r.ms} ms`);
});

test('regression: a REPORT EVENT line with a megabyte of blanks is read in linear time (hung)', (t) => {
  const r = timed(() => parseLog(`${LEGACY}REPORT EVENT: {a} b c 1 2 3 {x} 4 80244022 ${' '.repeat(1 << 20)}x\n`));
  t.is(r.error, undefined);
  t.true(r.ms < 1500, `${r.ms} ms`);
});

test('regression: the REPORT EVENT caller and the install title lose only their blanks and final full stop', (t) => {
  const { findings } = parseLog(
    [
      `${LEGACY}REPORT EVENT: {8F8EA247-1586-48E4-A5F6-1D19A9343341} 2024-04-17 05:14:55:630-0400 1 148 [AGENT_DETECTION_FAILED] 101 {00000000-0000-0000-0000-000000000000} 0 8024002e Azure VM Guest Patching   Failure Software Synchronization Windows Update Client failed to detect with error 0x8024002e.`,
      `${LEGACY}Installation Failure: Windows failed to install the following update with error 0x80070643:  Security Update (KB5034441) .  `,
    ].join('\n'),
  );
  t.like(findings[0], { kind: 'detection', caller: 'Azure VM Guest Patching', hresult: '0x8024002E' });
  t.like(findings[1], { kind: 'install', title: 'Security Update (KB5034441)', kb: 'KB5034441' });
});

test('regression: a PID of 20 digits is no header, and a checkpoint taken after it still passes its schema', (t) => {
  const start = '** START **  Agent: Finding updates [CallerId = X]\n';
  for (const head of [
    '2024-01-02\t03:04:05:678\t99999999999999999999\t19d4\tAgent\t',
    '2024-01-02 03:04:05:678 99999999999999999999 19d4 Agent ',
    '2021/07/13 10:22:58.9553434 99999999999999999999  8172  Agent           ',
  ]) {
    const parser = new WuLogParser();
    parser.push(Buffer.from(`${LEGACY}${start}${head}${start}`));
    t.true(ParserStateSchema.safeParse(JSON.parse(JSON.stringify(parser.snapshot()))).success, head);
    t.is(parseLog(head + 'x\n').records[0]!.pid, null, head);
  }
  t.is(parseLog(`2024-01-02\t03:04:05:678\t4294967295\t19d4\tAgent\tx\n`).records[0]!.pid, 4294967295);
});

test('regression: "Found 99999999999999999999 updates" is no count (it broke the checkpoint and the wire)', (t) => {
  const text = [
    `${LEGACY}** START **  Agent: Finding updates [CallerId = X]`,
    `${LEGACY}  * Found 99999999999999999999 updates and 1 categories in search`,
  ].join('\n');
  const parser = new WuLogParser();
  parser.push(Buffer.from(text + '\n'));
  t.true(ParserStateSchema.safeParse(JSON.parse(JSON.stringify(parser.snapshot()))).success);
  const { findings } = parseLog(text);
  t.like(findings[0], { kind: 'detection', updatesFound: null });
  checkFinding(findings[0]!, 2);
});

test('regression: a non-ASCII line ending in two CRs loses one CR, whether it ends in a chunk or across chunks', (t) => {
  const buf = Buffer.from([0xff, 0x0d, 0x0d, 0x0a, 0x41, 0x0a]);
  const whole = parseLog(buf).records.map((r) => r.text);
  t.deepEqual(whole, ['\u00ff\r', 'A']);
  t.deepEqual(
    parseChunked(buf, [1], -1).records.map((r) => r.text),
    whole,
  );
});
