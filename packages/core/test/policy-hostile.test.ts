// Property tests over hostile registry text (issue 14): arbitrary bytes, generated `.reg` files and `reg query` output
// in every encoding Windows writes (UTF-16LE with BOM, UTF-8, ANSI) with hostile content (unpaired surrogates, NULs,
// huge lines, CR-only line ends, truncation), and mutated real fixtures. The readers either give a policy that its
// schema, the assessment and the wire accept, with every string storable (no NUL, no lone surrogate), or throw the
// catalogued WUW_INVALID_POLICY; never anything else, and never slowly.
import { ok } from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import fc from 'fast-check';
import { isWuwatchError } from '../src/errors/errors.js';
import { checkEventData } from '../src/protocol/event-data.js';
import {
  assessPolicy,
  assessUpdateSources,
  MdmUpdatePolicySchema,
  parseMdmPolicy,
  parsePolicy,
  parseRegFile,
  parseRegQuery,
  PolicyAssessmentSchema,
  RegistryExportSchema,
  UpdatePolicySchema,
} from '../src/policy/index.js';
import { isWellFormed, mutate, mutationsArb, stringsIn, timed, utf16le } from './helpers/hostile.js';

const fixtureDir = (d: string): string => fileURLToPath(new URL(`./fixtures/${d}/`, import.meta.url));
const FIXTURES: readonly Buffer[] = [
  ...readdirSync(fixtureDir('policy')).map((n) => readFileSync(fixtureDir('policy') + n)),
  ...readdirSync(fixtureDir('wild'))
    .filter((n) => n.endsWith('.reg'))
    .map((n) => readFileSync(fixtureDir('wild') + n)),
];

/** Throws unless every string in `value` could be stored as JSON in PostgreSQL. */
function checkStorable(value: unknown): void {
  for (const s of stringsIn(value)) {
    ok(!s.includes('\0'), `a NUL in ${JSON.stringify(s).slice(0, 60)}`);
    ok(isWellFormed(s), `a lone surrogate in ${JSON.stringify(s).slice(0, 60)}`);
  }
}

/** Runs `fn`; a WUW_INVALID_POLICY error is an answer, any other throw is a bug. */
function readOrRefuse<T>(fn: () => T, budgetMs: number): T | null {
  const r = timed(fn);
  ok(r.ms < budgetMs, `reading took ${r.ms.toFixed(0)} ms`);
  if (r.error === undefined) return r.value!;
  ok(isWuwatchError(r.error, 'INVALID_POLICY'), `threw ${String(r.error)}`);
  return null;
}

/** Every property of the file comment for one input. */
function checkInput(bytes: Buffer, budgetMs = 1500): void {
  for (const read of [() => parseRegFile(bytes), () => parseRegQuery(bytes)]) {
    const exp = readOrRefuse(read, budgetMs);
    if (exp !== null) {
      ok(RegistryExportSchema.safeParse(exp).success, 'the export passes its schema');
      checkStorable(exp);
    }
  }
  const policy = readOrRefuse(() => parsePolicy(bytes), budgetMs);
  const mdm = readOrRefuse(() => parseMdmPolicy(bytes), budgetMs);
  if (mdm !== null) {
    ok(MdmUpdatePolicySchema.safeParse(mdm).success, 'the MDM policy passes its schema');
    checkStorable(mdm);
  }
  if (policy === null) return;
  const typed = UpdatePolicySchema.safeParse(policy);
  ok(typed.success, `the policy passes its schema: ${JSON.stringify(typed.error?.issues[0])}`);
  checkStorable(policy);
  ok(PolicyAssessmentSchema.safeParse(assessPolicy(policy)).success, 'the assessment passes its schema');
  assessUpdateSources({ policy, mdm, osBuild: 17763 });
  const problem = checkEventData('policy', { policy, mdm });
  ok(problem === null, `policy event: ${problem}`);
}

const name = fc.oneof(
  fc.constantFrom('WUServer', 'wustatusserver', 'UseWUServer', 'AUOptions', 'DisableDualScan', '__proto__', ''),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('http://wsus:8530', '\ud800', 'a\udc00b', '\0', ' '.repeat(3000), '\\', '"', 'x'.repeat(3000)),
);
const hexBytes = fc
  .array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 })
  .map((bs) => bs.map((b) => b.toString(16).padStart(2, '0')).join(','));
const keyPath = fc.oneof(
  fc.constantFrom(
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU',
    'hklm\\software\\policies\\microsoft\\windows\\windowsupdate\\au',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\Update',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\ControlPolicyConflict',
    'HKLM\\',
    '',
  ),
  text.map((t) => `HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\${t}`),
);
const quote = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
const regLine = fc.oneof(
  keyPath.map((k) => `[${k}]`),
  keyPath.map((k) => `[-${k}]`),
  fc.tuple(name, text).map(([n, v]) => `${quote(n)}=${quote(v)}`),
  fc.tuple(name, fc.oneof(fc.nat(), fc.constant(0xffffffff))).map(([n, v]) => `${quote(n)}=dword:${v.toString(16)}`),
  fc
    .tuple(name, fc.constantFrom('', '(1)', '(2)', '(4)', '(7)', '(b)', '(ffffffff)'), hexBytes, fc.boolean())
    .map(([n, t, h, wrap]) => `${quote(n)}=hex${t}:${wrap ? h.replaceAll(',', ',\\\r\n  ') : h}`),
  name.map((n) => `${quote(n)}=-`),
  text.map((t) => `;${t}`),
  text,
);
const queryLine = fc.oneof(
  keyPath,
  fc
    .tuple(
      name,
      fc.constantFrom('REG_SZ', 'REG_DWORD', 'REG_QWORD', 'REG_MULTI_SZ', 'REG_BINARY', 'REG_EXPAND_SZ', 'REG_XYZ'),
      fc.oneof(text, fc.constantFrom('0x1', '0xffffffff', '0x1ffffffffffffffff', 'a\\0b\\0', '00ff')),
    )
    .map(([n, t, v]) => `    ${n}    ${t}    ${v}`),
  fc.constantFrom('ERROR: The system was unable to find the specified registry key or value.', 'End of search'),
  text,
);
const generated = fc
  .record({
    regFile: fc.boolean(),
    header: fc.constantFrom(
      'Windows Registry Editor Version 5.00',
      'REGEDIT4',
      '',
      'windows registry editor version 5.00',
    ),
    regLines: fc.array(regLine, { maxLength: 20 }),
    queryLines: fc.array(queryLine, { maxLength: 20 }),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    encoding: fc.constantFrom('utf16le', 'utf8', 'latin1', 'utf16le-nobom'),
    edits: mutationsArb,
  })
  .map((g) => {
    const lines = g.regFile ? [g.header, '', ...g.regLines] : g.queryLines;
    const text = lines.join(g.eol) + g.eol;
    const bytes =
      g.encoding === 'utf16le'
        ? utf16le(text)
        : g.encoding === 'utf16le-nobom'
          ? Buffer.from(text, 'utf16le')
          : Buffer.from(text, g.encoding);
    return mutate(bytes, g.edits);
  });

test('property: arbitrary bytes give a storable policy or WUW_INVALID_POLICY, never another error', (t) => {
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => checkInput(Buffer.from(bytes))),
      { numRuns: 150, includeErrorInReport: true },
    ),
  );
});

test('property: generated .reg files and reg query output, any encoding and line end, hostile values', (t) => {
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(generated, (bytes) => checkInput(bytes)),
      { numRuns: 200, includeErrorInReport: true },
    ),
  );
});

test('property: mutated real fixtures keep every invariant', (t) => {
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES), mutationsArb, (buf, edits) => checkInput(mutate(buf, edits))),
      { numRuns: 100, includeErrorInReport: true },
    ),
  );
});

test('property: huge and hostile shapes (many keys, values, continuations, deletions, blank runs) stay fast', (t) => {
  const shapes: ((n: number) => string)[] = [
    (n) => 'REGEDIT4\n' + Array.from({ length: n }, (_, i) => `[HKLM\\k${i}]\n"v"="x"`).join('\n'),
    (n) =>
      'REGEDIT4\n[HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]\n' +
      Array.from({ length: n }, (_, i) => `"v${i}"="x"`).join('\n'),
    (n) => 'REGEDIT4\n[HKLM\\k]\n"v"=hex:' + '00,\\\n'.repeat(n) + '00\n',
    (n) => 'REGEDIT4\n' + Array.from({ length: n }, (_, i) => `[HKLM\\k${i % 500}]\n[-HKLM\\k${i}]`).join('\n'),
    (n) => 'HKEY_LOCAL_MACHINE\\SOFTWARE\\x\n ' + ' '.repeat(n * 10) + 'x\n',
    (n) => 'HKEY_LOCAL_MACHINE\\SOFTWARE\\x\n' + '    v    REG_SZ    x\n'.repeat(n),
    (n) => 'REGEDIT4\r' + `[HKLM\\k]\r"v"="${'\\"'.repeat(n)}"\r`,
  ];
  // fc.assert throws the shrunk counterexample: the property holds when it does not.
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.constantFrom(...shapes), fc.boolean(), (shape, wide) => {
        const text = shape(30_000);
        checkInput(wide ? utf16le(text) : Buffer.from(text), 3000);
      }),
      { numRuns: 14, includeErrorInReport: true },
    ),
  );
});

// Regressions the properties found, kept as plain examples.

const WU = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate';

test('regression: a UTF-16LE .reg with an unpaired surrogate and a NUL gives storable strings (U+FFFD)', (t) => {
  const policy = parsePolicy(
    utf16le(
      `Windows Registry Editor Version 5.00\r\n\r\n[${WU}]\r\n"WUServer"="http://wsus\ud800:8530"\r\n"TargetGroup"="a\0b"\r\n`,
    ),
  );
  t.is(policy.windowsUpdate.WUServer, 'http://wsus\ufffd:8530');
  t.is(policy.windowsUpdate.TargetGroup, 'a\ufffdb');
  t.is(checkEventData('policy', { policy, mdm: null }), null);
});

test('regression: hex(1) data holding a lone surrogate decodes to U+FFFD', (t) => {
  const exp = parseRegFile(`Windows Registry Editor Version 5.00\n\n[${WU}]\n"WUServer"=hex(1):00,d8,41,00,00,00\n`);
  t.deepEqual(exp.keys[0]!.values.WUServer, { type: 'REG_SZ', value: '\ufffdA' });
});

test('regression: CR-only line ends (.reg and reg query) are read as lines', (t) => {
  const reg = parsePolicy(
    `REGEDIT4\r\r[${WU}]\r"WUServer"="http://wsus:8530"\r[${WU}\\AU]\r"UseWUServer"=dword:00000001\r`,
  );
  t.is(reg.windowsUpdate.WUServer, 'http://wsus:8530');
  t.is(reg.au.UseWUServer, 1);
  const query = parsePolicy(`\r${WU}\r    WUServer    REG_SZ    http://wsus:8530\r`);
  t.is(query.windowsUpdate.WUServer, 'http://wsus:8530');
});

test('regression: 30,000 keys, values or wrapped hex lines are read in linear time (were quadratic)', (t) => {
  const many = Array.from({ length: 30_000 }, (_, i) => `"v${i}"="x"`).join('\n');
  const values = timed(() => parseRegFile(`REGEDIT4\n[${WU}]\n${many}\n`));
  t.is(values.error, undefined);
  t.true(values.ms < 3000, `${values.ms} ms`);
  t.is(Object.keys(values.value!.keys[0]!.values).length, 30_000);
  const policy = timed(() => parsePolicy(`REGEDIT4\n[${WU}]\n${many}\n`));
  t.true(policy.ms < 3000, `${policy.ms} ms`);
  const wrapped = timed(() => parseRegFile('REGEDIT4\n[HKLM\\k]\n"v"=hex:' + '01,\\\n'.repeat(30_000) + '02\n'));
  t.true(wrapped.ms < 3000, `${wrapped.ms} ms`);
  t.is(wrapped.value!.keys[0]!.values.v!.value, '01'.repeat(30_000) + '02');
});

test('regression: more keys than a policy export has are refused with WUW_INVALID_POLICY, quickly', (t) => {
  const r = timed(() =>
    parseRegFile('REGEDIT4\n' + Array.from({ length: 20_000 }, (_, i) => `[HKLM\\k${i}]`).join('\n')),
  );
  t.true(isWuwatchError(r.error, 'INVALID_POLICY'));
  t.regex((r.error as Error).message, /more than 10000 keys/);
  t.true(r.ms < 3000, `${r.ms} ms`);
});

test('regression: a reg query line of a megabyte of spaces is read in linear time (was quadratic)', (t) => {
  const r = timed(() => parseRegQuery(`${WU}\n ${' '.repeat(1 << 20)}x\n    WUServer    REG_SZ    http://w\n`));
  t.true(r.ms < 1500, `${r.ms} ms`);
  t.is(r.value!.keys[0]!.values.WUServer!.value, 'http://w');
});

test('regression: value names differing only in case still replace each other, a deletion removes any spelling', (t) => {
  const exp = parseRegFile(`REGEDIT4\n[${WU}]\n"WUServer"="a"\n"wuserver"="b"\n"X"="1"\n"x"=-\n`);
  t.deepEqual(exp.keys[0]!.values, { wuserver: { type: 'REG_SZ', value: 'b' } });
});

test('regression: a policy with 30,000 unknown values or a huge WUServer still fits one event (64 KiB)', (t) => {
  const many = Array.from({ length: 30_000 }, (_, i) => `"v${i}"="x"`).join('\n');
  const mdmKey = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\Update';
  const text = `REGEDIT4\n[${WU}]\n"WUServer"="http://${'w'.repeat(100_000)}"\n${many}\n[${mdmKey}]\n${many}\n`;
  const policy = parsePolicy(text);
  const mdm = parseMdmPolicy(text);
  t.is(policy.windowsUpdate.WUServer!.length, 2048);
  const kept = Object.keys(policy.other[WU]!).length;
  t.true(kept > 100 && kept < 30_000, `${kept} values kept`);
  t.is(checkEventData('policy', { policy, mdm }), null);
});
