// The packages as users get them: `npm pack` of core, agent and collector, installed from the tarballs into a
// folder outside the repository (dependencies from the npm cache, or the registry for what is not cached), then the installed `wuwatch` migrates a
// fresh PostgreSQL database, serves, and answers /readyz, the API and the CLI; the installed agent runs too.
// Needs the build (npm test runs it first). Takes ~30-60 s, most of it npm install.
import test from 'ava';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createEmptyTestDatabase } from './helpers/db.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** The environment without what `npm test` passes down to scripts (npm_config_*, workspace settings). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !k.startsWith('WUWATCH_')) env[k] = v;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env = cleanEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
}

test('npm pack → npm install outside the repo → migrate, serve, /readyz, API, CLI; the agent runs', async (t) => {
  t.timeout(300_000);
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'wuwatch-pack-'));
  const database = await createEmptyTestDatabase();
  try {
    const packed = run(
      'npm',
      ['pack', '-w', 'packages/core', '-w', 'packages/agent', '-w', 'packages/collector', '--pack-destination', tmp],
      ROOT,
    );
    t.is(packed.status, 0, packed.stderr);
    const tarballs = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    t.deepEqual(tarballs.sort(), ['wuwatch-agent-0.1.0.tgz', 'wuwatch-collector-0.1.0.tgz', 'wuwatch-core-0.1.0.tgz']);

    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'wuwatch-install-check',
        private: true,
        dependencies: Object.fromEntries(
          tarballs.map((f) => [`@wuwatch/${/^wuwatch-(\w+)-/.exec(f)![1]}`, `file:../${f}`]),
        ),
      }),
    );
    const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev'], app);
    t.is(installed.status, 0, installed.stdout + installed.stderr);
    const packTime = Date.now() - started;

    const bin = (name: string) => join(app, 'node_modules', '.bin', name);
    const env = cleanEnv({
      DATABASE_URL: database.url,
      WUWATCH_ADMIN_TOKEN: 'install-check-admin-token-0123456789',
      WUWATCH_DATA_DIR: join(tmp, 'data'),
    });
    const migrated = run(bin('wuwatch'), ['migrate'], app, env);
    t.is(migrated.status, 0, migrated.stderr);
    const shipped = readdirSync(join(ROOT, 'prisma', 'migrations'), { withFileTypes: true }).filter((d) =>
      d.isDirectory(),
    ).length;
    t.regex(
      migrated.stdout,
      new RegExp(`^applied ${shipped} migration\\(s\\) to PostgreSQL `),
      'the migrations ship in the package',
    );

    const serve = spawn(bin('wuwatch'), ['serve', '--host', '127.0.0.1', '--port', '0'], { cwd: app, env });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('serve did not start in 60 s')), 60_000);
        serve.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
        createInterface({ input: serve.stderr }).on('line', (line) => {
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(line);
          if (m && line.includes('collector listening')) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const ready = await fetch(url + '/readyz');
      t.is(ready.status, 200, await ready.clone().text());
      t.is(((await ready.json()) as { status: string }).status, 'ready');
      const summary = await fetch(url + '/v1/summary', {
        headers: { authorization: `Bearer ${env.WUWATCH_ADMIN_TOKEN}` },
      });
      t.is(summary.status, 200);
      t.deepEqual(((await summary.json()) as { total: number }).total, 0);
      t.is((await fetch(url + '/openapi.json')).status, 200);
      const status = run(bin('wuwatch'), ['status'], app, {
        ...env,
        WUWATCH_URL: url,
        WUWATCH_TOKEN: env.WUWATCH_ADMIN_TOKEN!,
      });
      t.is(status.status, 0, status.stderr);
      t.regex(status.stdout, /^STATUS\s+MACHINES$/m);
    } finally {
      const exited = new Promise<number | null>((resolve) => serve.once('exit', resolve));
      serve.kill('SIGTERM');
      t.is(await exited, 0, 'a graceful stop exits 0');
    }

    const explain = run(bin('wuwatch-agent'), ['explain', '0x80244022'], app);
    t.is(explain.status, 0, explain.stderr);
    t.regex(explain.stdout, /503|WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL/i);
    t.log(`pack + install ${packTime} ms, whole test ${Date.now() - started} ms`);
  } finally {
    await database.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
