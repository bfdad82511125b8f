// The collector URL setting: one URL, a comma-separated list (MSI property, --collector, WUWATCH_COLLECTOR_URL) or
// a JSON list (collectorUrls), always validated into one list; the errors name what is wrong.
import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWuwatchError } from '@wuwatch/core';
import { loadAgentConfig } from '../src/config/load.js';
import { planConfigure } from '../src/service/configure.js';

const A = 'https://wuwatch-a.corp.example:8470';
const B = 'wss://wuwatch-b.corp.example:8470';

const load = (overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, file?: string) =>
  loadAgentConfig({ env, file, overrides: { stateDir: '/var/lib/wuwatch', ...overrides } });

/** The CONFIG_INVALID message loading `overrides` gives. */
function problem(t: import('ava').ExecutionContext, overrides: Record<string, unknown>): string {
  const err = t.throws(() => load(overrides));
  t.true(isWuwatchError(err, 'CONFIG_INVALID'), err?.message);
  return err?.message ?? '';
}

test('one URL, a comma-separated list and a JSON list all become one list, in the order given', (t) => {
  t.deepEqual(load({ collectorUrl: A }).collectorUrls, [A]);
  t.deepEqual(load({ collectorUrl: ` ${A} , ${B}` }).collectorUrls, [A, B]);
  t.deepEqual(load({ collectorUrls: [B, A] }).collectorUrls, [B, A]);
  t.deepEqual(load({ collectorUrls: `${A},${B}` }).collectorUrls, [A, B]);
  t.false('collectorUrl' in load({ collectorUrl: A }), 'the list is the one setting code reads');
});

test('a bad list says which entry is wrong and why', (t) => {
  t.regex(problem(t, {}), /the collector URL is required;\s+→ at collectorUrl/);
  t.regex(problem(t, { collectorUrl: `${A},,${B}` }), /entry 2 of the collector URL list is empty \(a stray comma\?\)/);
  t.regex(problem(t, { collectorUrl: `${A},` }), /entry 2 of the collector URL list is empty/);
  t.regex(
    problem(t, { collectorUrl: `${A},wuwatch-b.corp.example` }),
    /"wuwatch-b.corp.example" must be a ws:\/\/, wss:\/\/, http:\/\/ or https:\/\/ URL/,
  );
  t.regex(
    problem(t, { collectorUrl: 'ftp://wuwatch.corp.example' }),
    /"ftp:\/\/wuwatch.corp.example" must be a ws:\/\//,
  );
  t.regex(problem(t, { collectorUrls: [A, B, A] }), new RegExp(`"${A}" is listed twice`));
  t.regex(problem(t, { collectorUrls: [] }), /collectorUrls/);
  // Every problem at once, so one fix-and-retry is enough.
  const both = problem(t, { collectorUrl: 'nope,,' });
  t.regex(both, /"nope" must be/);
  t.regex(both, /entry 2 .* empty/);
});

test('collectorUrl and collectorUrls together in one file is an error; the environment or a flag replaces either', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const both = join(dir, 'both.json');
  await writeFile(both, JSON.stringify({ collectorUrl: A, collectorUrls: [B], stateDir: dir }));
  const err = t.throws(() => loadAgentConfig({ file: both, env: {} }));
  t.true(isWuwatchError(err, 'CONFIG_INVALID'));
  t.regex(err.message, /give collectorUrl or collectorUrls, not both/);

  const listed = join(dir, 'listed.json');
  await writeFile(listed, JSON.stringify({ collectorUrls: [A, B], stateDir: dir }));
  t.deepEqual(loadAgentConfig({ file: listed, env: {} }).collectorUrls, [A, B]);
  // WUWATCH_COLLECTOR_URL (commas allowed) and --collector win over the file, whichever name the file used.
  t.deepEqual(loadAgentConfig({ file: listed, env: { WUWATCH_COLLECTOR_URL: `${B},${A}` } }).collectorUrls, [B, A]);
  t.deepEqual(loadAgentConfig({ file: listed, env: {}, overrides: { collectorUrl: B } }).collectorUrls, [B]);
  const single = join(dir, 'single.json');
  await writeFile(single, JSON.stringify({ collectorUrl: A, stateDir: dir }));
  t.deepEqual(loadAgentConfig({ file: single, env: {}, overrides: { collectorUrls: [B] } }).collectorUrls, [B]);
});

test('the installer takes a comma-separated COLLECTOR_URL as it is and refuses a bad entry', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'wuwatch-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const steps = planConfigure({
    stateDir: dir,
    configExists: false,
    collectorUrl: `${A}, ${B}`,
    enrollSecret: 'wwe_x',
    pathStyle: 'posix',
    skipAcl: true,
  });
  const write = steps.find((s) => s.kind === 'write');
  t.truthy(write);
  const file = join(dir, 'agent.json');
  await writeFile(file, (write as { content: string }).content);
  t.is(JSON.parse(await readFile(file, 'utf8')).collectorUrl, `${A}, ${B}`, 'agent.json keeps what was given');
  t.deepEqual(loadAgentConfig({ file, env: {} }).collectorUrls, [A, B]);

  const err = t.throws(() =>
    planConfigure({
      stateDir: dir,
      configExists: false,
      collectorUrl: `${A},wuwatch-b`,
      enrollSecret: 'wwe_x',
      pathStyle: 'posix',
      skipAcl: true,
    }),
  );
  t.true(isWuwatchError(err, 'CONFIG_INVALID'));
  t.regex(err.message, /"wuwatch-b" must be a ws:\/\/, wss:\/\/, http:\/\/ or https:\/\/ URL/);
});
