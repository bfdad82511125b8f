// The container and service files, checked statically (no Docker engine here): the Dockerfile is multi-stage,
// pinned to the repository's Node LTS, installs production dependencies only, runs as a non-root user with a
// health check; the compose file works with docker-compose v1 (`docker-compose config`) and v2 (no top-level name
// or version) and puts no secret on a command line; the systemd unit passes `systemd-analyze verify`.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const ROOT = new URL('../../../', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

interface Stage {
  name: string;
  from: string;
  lines: string[];
}

/** Dockerfile instructions (continuations joined), split into stages. */
function dockerStages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2] ?? '', lines: [] });
    else if (stages.length === 0 && /^ARG\s+(\w+)=(\S+)$/.test(line)) {
      const [, k, v] = /^ARG\s+(\w+)=(\S+)$/.exec(line)!;
      args[k!] = v!;
    } else stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}

test('Dockerfile: multi-stage on the pinned Node LTS, production deps only, non-root, health check on /readyz', (t) => {
  const { args, stages } = dockerStages(read('packages/collector/Dockerfile'));
  const nodeVersion = read('.node-version').trim();
  t.is(args.NODE_IMAGE, `node:${nodeVersion}-bookworm-slim`, 'the base is the version .node-version pins');
  t.true(Number(nodeVersion.split('.')[0]) % 2 === 0 && Number(nodeVersion.split('.')[0]) >= 22, 'an LTS line');
  for (const s of stages) t.is(s.from, '${NODE_IMAGE}', `stage ${s.name} uses the pinned base`);
  t.true(stages.length >= 3, 'build, dependencies and runtime stages');

  const runtime = stages.at(-1)!;
  t.is(runtime.name, 'collector', 'the default target (last stage) is the collector');
  const copies = runtime.lines.filter((l) => /^COPY\b/i.test(l));
  t.deepEqual(
    copies,
    ['COPY --from=collector-deps /opt/wuwatch /opt/wuwatch'],
    'only the installed packages are copied',
  );
  const user = runtime.lines.filter((l) => /^USER\b/i.test(l)).at(-1);
  t.truthy(user);
  t.notRegex(user!, /^USER\s+(root|0)(:|$)/i);
  t.regex(runtime.lines.find((l) => /^HEALTHCHECK\b/.test(l)) ?? '', /\/readyz/);
  t.regex(runtime.lines.find((l) => /^ENTRYPOINT\b/.test(l)) ?? '', /@wuwatch\/collector\/bin\/wuwatch\.js/);

  const deps = stages.find((s) => s.name === 'collector-deps')!;
  const install = deps.lines.find((l) => /npm install/.test(l)) ?? '';
  t.regex(install, /--omit=dev/);
  t.deepEqual([...install.matchAll(/wuwatch-(\w+)-[\d.]+\.tgz/g)].map((m) => m[1]).sort(), ['collector', 'core']);
  t.notRegex(install, /simulator|agent/, 'no test tooling or test keys in the collector image');

  const ignore = read('.dockerignore');
  for (const p of ['**/node_modules', '**/dist', '.git']) t.true(ignore.split('\n').includes(p), `.dockerignore ${p}`);
});

test('docker-compose.yml: v1 and v2 compatible, secrets only in the environment, health-gated start', (t) => {
  const text = read('docker-compose.yml');
  const doc = parseYaml(text) as Record<string, unknown> & {
    services: Record<
      string,
      {
        command?: string[];
        entrypoint?: string[];
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }>;
        build?: { target?: string };
      }
    >;
  };
  t.false('name' in doc, 'docker-compose v1 rejects a top-level name');
  t.false('version' in doc, 'obsolete in v2, and not needed by v1.27+');
  for (const [name, s] of Object.entries(doc.services)) {
    const cmdline = [...(s.command ?? []), ...(s.entrypoint ?? [])].join(' ');
    t.notRegex(cmdline, /TOKEN|PASSWORD|SECRET|\$\{/i, `${name}: no secrets or variables on the command line`);
  }
  t.is(doc.services.collector!.build!.target, 'collector');
  t.is(doc.services.simulator!.build!.target, 'simulator');
  t.regex(doc.services.simulator!.environment!.WUWATCH_TOKEN!, /^\$\{WUWATCH_ADMIN_TOKEN/);
  t.is(doc.services.simulator!.depends_on!.collector!.condition, 'service_healthy');
  t.is(doc.services.collector!.depends_on!.postgres!.condition, 'service_healthy');
});

test('docker-compose v1 accepts the file (docker-compose config), and refuses to start without the admin token', (t) => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };
  const ok = spawnSync('docker-compose', ['--profile', 'simulator', 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...env, WUWATCH_ADMIN_TOKEN: 'compose-check-token-0123456789abcdef' },
  });
  t.is(ok.error, undefined, 'docker-compose is installed (.ci/run: apt-get install -y docker-compose)');
  t.is(ok.status, 0, ok.stderr);
  const config = parseYaml(ok.stdout) as { services: Record<string, unknown> };
  t.deepEqual(Object.keys(config.services).sort(), ['collector', 'postgres', 'simulator']);
  const missing = spawnSync('docker-compose', ['config'], { cwd: ROOT, encoding: 'utf8', env });
  t.not(missing.status, 0);
  t.regex(missing.stderr, /set WUWATCH_ADMIN_TOKEN/);
});

test('deploy/systemd/wuwatch-collector.service: systemd-analyze verify is clean; secrets from an EnvironmentFile', (t) => {
  const unit = join(ROOT, 'deploy/systemd/wuwatch-collector.service');
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
  t.is(r.error, undefined, 'systemd-analyze is available');
  t.is(r.status, 0);
  t.is(r.stderr, '', 'no warnings (unknown keys or bad values)');
  const text = read('deploy/systemd/wuwatch-collector.service');
  t.regex(text, /^User=wuwatch$/m);
  t.regex(text, /^EnvironmentFile=\/etc\/wuwatch\/collector\.env$/m);
  t.regex(text, /^ExecStart=\/usr\/bin\/node \S+\/bin\/wuwatch\.js serve$/m);
  t.notRegex(text, /^Exec\S*=.*(TOKEN|PASSWORD|postgresql:\/\/)/m, 'no secrets on the command line');
});
