// The README as a new user reads it: self-contained (every relative link resolves inside the repository, nothing
// points to ../shared), and its demo sample is what `npm run demo` really prints (the demo runs here, ~45 s).
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DOCS = [
  'README.md',
  'docs/alerts.md',
  'docs/windows-update.md',
  'CHANGELOG.md',
  'packages/collector/README.md',
  'packages/core/README.md',
  'packages/agent/README.md',
];

test('README and docs: no link leaves the repository; every relative link resolves', (t) => {
  for (const doc of DOCS) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    t.notRegex(text, /\.\.\/shared|\/work\/shared/, `${doc} points outside the repository`);
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (!target || /^[a-z]+:/i.test(target)) continue;
      const resolved = normalize(join(ROOT, dirname(doc), target));
      t.false(relative(ROOT, resolved).startsWith('..'), `${doc}: ${target} leaves the repository`);
      t.true(existsSync(resolved), `${doc}: ${target} does not exist`);
    }
  }
  for (const path of [
    ...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\b((?:docs|deploy)\/[\w./-]+\.\w+)/g),
  ]) {
    t.true(existsSync(join(ROOT, path[1]!)), `README mentions ${path[1]}`);
  }
  t.true(existsSync(join(ROOT, 'LICENSE')));
});

/** Makes a demo line comparable across runs: ports, times, counts, bar lengths and column padding vary. */
function normalizeLine(line: string): string {
  return line
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]*Z?/g, 'TIME')
    .replace(/^(\s+[a-z_]+\s+)\d+(\s+)#*$/, '$1N$2#')
    .replace(/^Fleet status: \d+ machines$/, 'Fleet status: N machines')
    .replace(/^── Final summary after \d+ s ──$/, '── Final summary after N s ──')
    .replace(/^Alerts delivered to the webhook sink: \d+.*$/, 'Alerts delivered to the webhook sink: N')
    .replace(/\s+/g, ' ')
    .trim();
}

function readmeSample(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- demo-sample:start -->\n```\n([\s\S]*?)```\n<!-- demo-sample:end -->/.exec(readme);
  if (!block) throw new Error('README has no demo sample block');
  return block[1]!.trimEnd().split('\n');
}

// A 20-agent fleet for 30 s has every machine the sample names, at half the CPU of the default 50 for 45 s.
test('the README demo sample is what the demo prints (20 agents, 30 s)', async (t) => {
  t.timeout(240_000);
  const sample = readmeSample().filter((l) => l !== '…');
  t.true(sample.length >= 10);
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.WUWATCH_DATA_DIR;
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--conditions=wuwatch-source',
      '--import',
      'tsx',
      'scripts/demo.ts',
      ...['--duration', '30', '--agents', '20', '--port', '0'],
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 0, err);
  t.log(`demo ran ${Math.round((Date.now() - started) / 1000)} s`);
  const produced = out.split('\n').map(normalizeLine);
  for (const line of sample) {
    const want = normalizeLine(line);
    // A line the demo cut at its width ends with "…"; ports of other lengths move the cut, so compare before it.
    const found = want.endsWith('…')
      ? produced.some((p) => p.startsWith(want.slice(0, -1).slice(0, -12)))
      : produced.includes(want);
    t.true(found, `README line not printed by the demo: ${line}`);
  }
});
