import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WuLogParser, WuLogStream, type Finding } from '../src/wulog/index.js';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Every module `entry` loads at run time: imports that are not `import type`/`export type`, followed recursively. */
function runtimeGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(file, 'utf8');
    // `import x from '…'`, `import { a, type B } from '…'`, `export { a } from '…'`, `import '…'`; not `import type`.
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^;]*?\sfrom\s+)?'([^']+)';/gms)) {
      const spec = m[1]!;
      todo.push(spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec);
    }
  }
  return seen;
}

test('the streaming parser (what parse-log imports) loads neither zod, the checkpoint schema nor the protocol schemas', (t) => {
  const graph = [...runtimeGraph(resolve(src, 'wulog/stream.ts'))];
  t.true(graph.includes(resolve(src, 'wulog/findings.ts')), 'the graph walk follows the imports');
  t.deepEqual(
    // protocol/limits.ts imports nothing: the wire's size limits, which the parser clips its text to.
    graph.filter(
      (f) =>
        f === 'zod' ||
        f.endsWith('/wulog/state.ts') ||
        (f.includes('/protocol/') && !f.endsWith('/protocol/limits.ts')),
    ),
    [],
  );
  // The checked parser does load the schema (restore validates a checkpoint).
  t.true(runtimeGraph(resolve(src, 'wulog/parser.ts')).has('zod'));
});

test('WuLogStream and WuLogParser give the same findings', (t) => {
  const log = readFileSync(resolve(src, '../test/fixtures/shared/wulog/real/legacy-win7.log'));
  const run = (p: WuLogStream) => {
    const first = p.push(log).findings;
    return [...first, ...p.end().findings];
  };
  const a: Finding[] = run(new WuLogStream());
  t.true(a.length > 0);
  t.deepEqual(a, run(new WuLogParser()));
});
