import test from 'ava';
import { wulogFixtures } from './helpers/wulog-fixtures.js';
import fc from 'fast-check';
import { isWuwatchError } from '../src/errors/errors.js';
import { parseLog, ParserStateSchema, WuLogParser, type Finding } from '../src/wulog/index.js';

const fixtures = wulogFixtures;

/**
 * Parses `buf` as an agent that is killed after every chunk would: each chunk goes to a new parser restored from
 * the previous one's snapshot, taken through JSON as the checkpoint file keeps it.
 */
function parseWithRestarts(buf: Buffer, cuts: number[]): Finding[] {
  const findings: Finding[] = [];
  let saved: unknown = null;
  let prev = 0;
  for (const cut of [...cuts, buf.length]) {
    const parser = new WuLogParser({ onFinding: (f) => findings.push(f) });
    if (saved !== null) parser.restore(saved);
    parser.push(buf.subarray(prev, cut));
    if (cut === buf.length) parser.end();
    else saved = JSON.parse(JSON.stringify(parser.snapshot()));
    prev = cut;
  }
  return findings.sort((a, b) => a.line - b.line);
}

/** Offsets just after each LF: where the tail cuts its chunks. */
function lineEnds(buf: Buffer): number[] {
  const ends: number[] = [];
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) ends.push(i + 1);
  return ends;
}

for (const [name, buf] of fixtures) {
  test(`${name}: a restart after every line reports the same findings as one pass`, (t) => {
    const ends = lineEnds(buf).filter((e) => e < buf.length);
    t.deepEqual(parseWithRestarts(buf, ends), parseLog(buf).findings);
  });
}

test('a restart at any byte (inside a line, a CRLF or a UTF-8 character) reports the same findings', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        ([, buf], fractions) => {
          const cuts = [...new Set(fractions.map((f) => Math.floor(f * buf.length)))]
            .filter((c) => c > 0 && c < buf.length)
            .sort((a, b) => a - b);
          const expected = parseLog(buf).findings;
          const got = parseWithRestarts(buf, cuts);
          if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`cuts ${cuts.join(',')}`);
        },
      ),
      { numRuns: 60 },
    ),
  );
});

test('a snapshot holds the open cycle and the line count, as plain JSON that the schema accepts', (t) => {
  const parser = new WuLogParser({ onFinding: () => undefined });
  parser.push(
    Buffer.from(
      '2026-11-20\t08:00:00:000\t 900\t1a2c\tAgent\t*************\n' +
        '2026-11-20\t08:00:00:001\t 900\t1a2c\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\n' +
        '2026-11-20\t08:00:00:002\t 900\t1a2c\tAgent\t*********\n' +
        '2026-11-20\t08:00:00:003\t 900\t1a2c\tAgent\tPartial line without its LF',
    ),
  );
  const state = JSON.parse(JSON.stringify(parser.snapshot()));
  t.true(ParserStateSchema.safeParse(state).success);
  t.is(state.lineNo, 3);
  t.is(state.detection.open.length, 1);
  t.is(state.detection.open[0].finding.caller, 'AutomaticUpdates');
  t.regex(Buffer.from(state.partial.bytes, 'base64').toString(), /Partial line without its LF$/);
});

test('restoring a state of the wrong shape throws WUW_WULOG_STATE_INVALID and leaves the parser usable', (t) => {
  const parser = new WuLogParser();
  const err = t.throws(() => parser.restore({ version: 2 }));
  t.true(isWuwatchError(err) && err.code === 'WUW_WULOG_STATE_INVALID');
  t.is(parser.push(Buffer.from('a line\n')).records.length, 1);
});
