// deploy/prometheus/rules.yml and deploy/grafana/wuwatch.json against promtool and a live collector: the rules
// load and their unit tests pass, the dashboard is importable JSON whose every query parses as PromQL, and every
// metric the rules and the dashboard query is one the collector really exports.
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCollector } from './helpers/collector.js';
import { promtool } from './helpers/promtool.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const RULES = join(ROOT, 'deploy/prometheus/rules.yml');
const RULES_TEST = join(ROOT, 'deploy/prometheus/rules.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/wuwatch.json');

/** Series Prometheus makes up itself rather than scraping. */
const SYNTHETIC = new Set(['up']);
const PROMQL_WORDS = new Set(
  'sum min max avg count stddev stdvar topk bottomk quantile count_values group by without on ignoring group_left group_right and or unless offset bool rate irate increase delta idelta deriv histogram_quantile max_over_time min_over_time avg_over_time sum_over_time count_over_time last_over_time absent absent_over_time label_replace label_join vector scalar time clamp_min clamp_max abs ceil floor round sort sort_desc inf nan humanize'.split(
    ' ',
  ),
);

interface Dashboard {
  __inputs: { name: string; type: string; pluginId: string }[];
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; query: { query: string } | string }[] };
  panels: {
    id: number;
    type: string;
    title: string;
    gridPos: { h: number; w: number; x: number; y: number };
    datasource?: { type: string; uid: string };
    targets?: { expr: string; refId: string }[];
  }[];
}

/** Metric names an expression reads: identifiers outside label matchers, strings, grouping clauses and ranges. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return names.filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n) && !n.includes(':'));
}

function dashboardExprs(d: Dashboard): string[] {
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

function rulesExprs(): string[] {
  return [...readFileSync(RULES, 'utf8').matchAll(/^\s+expr:\s*(.+)$/gm)].map((m) => m[1]!.trim());
}

/** What a real collector exports: family names, with the _bucket/_sum/_count series of its histograms. */
async function exportedSeriesNames(): Promise<Set<string>> {
  const tc = await startTestCollector();
  try {
    const text = await (await fetch(tc.url + '/metrics')).text();
    const names = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(m[1]!);
      if (m[2] === 'histogram' || m[2] === 'summary')
        for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
    }
    return names;
  } finally {
    await tc.close();
  }
}

test('promtool check rules and promtool test rules accept deploy/prometheus', async (t) => {
  const check = await promtool(['check', 'rules', RULES]);
  t.is(check.code, 0, check.stdout + check.stderr);
  t.regex(check.stdout, /SUCCESS: \d+ rules found/);
  const unit = await promtool(['test', 'rules', RULES_TEST]);
  t.is(unit.code, 0, unit.stdout + unit.stderr);
});

test('the Grafana dashboard is importable: inputs, uid, unique panel ids, no overlapping panels', (t) => {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  t.is(d.uid, 'wuwatch-collector');
  t.true(d.schemaVersion >= 36);
  t.deepEqual(
    d.__inputs.map((i) => [i.name, i.type, i.pluginId]),
    [['DS_PROMETHEUS', 'datasource', 'prometheus']],
  );
  const ids = d.panels.map((p) => p.id);
  t.is(new Set(ids).size, ids.length, 'panel ids are unique');
  const cells = new Set<string>();
  for (const p of d.panels) {
    if (p.type !== 'row') {
      t.deepEqual(p.datasource, { type: 'prometheus', uid: '${DS_PROMETHEUS}' }, p.title);
      t.true((p.targets ?? []).length > 0, `${p.title} has queries`);
    }
    t.true(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        t.false(cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
  }
});

test('every dashboard query parses as PromQL (promtool, with Grafana variables filled in)', async (t) => {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const exprs = dashboardExprs(d);
  t.true(exprs.length >= 15);
  const dir = mkdtempSync(join(tmpdir(), 'wuwatch-dash-'));
  const file = join(dir, 'dashboard-queries.yml');
  const rules = exprs.map(
    (e, i) =>
      `      - record: dashboard:query_${i}\n        expr: '${e
        .replace(/\$__rate_interval/g, '5m')
        .replace(/\$instance/g, '.*')
        .replace(/'/g, "''")}'`,
  );
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
  const check = await promtool(['check', 'rules', file]);
  t.is(check.code, 0, check.stdout + check.stderr);
});

test('every metric the rules and the dashboard query is exported by a real collector', async (t) => {
  const exported = await exportedSeriesNames();
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const variableQueries = d.templating.list.map((v) => (typeof v.query === 'string' ? v.query : v.query.query));
  const used = new Set<string>();
  for (const e of [...dashboardExprs(d), ...rulesExprs()]) for (const n of metricNames(e)) used.add(n);
  for (const q of variableQueries) used.add(/label_values\((\w+)/.exec(q)![1]!);
  t.true(used.size >= 15, [...used].join(' '));
  const missing = [...used].filter((n) => !SYNTHETIC.has(n) && !exported.has(n));
  t.deepEqual(missing, [], `queried but not exported: ${missing.join(', ')}`);
});
