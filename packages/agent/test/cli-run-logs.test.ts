// The agent's logs as an operator reads them: the real CLI (the built bundle) against a collector that is not
// there yet, then reachable: one enrollment failure line for all the retries, ISO times, host name and agent id.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, startTestCollector } from '../../collector/test/helpers/collector.js';
import { cycles, makeSimDir, waitFor } from './helpers/sim.js';

const BIN = fileURLToPath(new URL('../bin/wuwatch-agent.js', import.meta.url));
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on (yet). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** From now on `port` forwards TCP to `target` (the collector "comes up"). */
async function forward(port: number, target: number): Promise<Server> {
  const s = createServer((c) => {
    const u = connect(target, '127.0.0.1');
    c.pipe(u).pipe(c);
    u.on('error', () => c.destroy());
    c.on('error', () => u.destroy());
  });
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return s;
}

function stopAgent(a: ChildProcess): Promise<void> {
  if (a.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    a.once('exit', () => r());
    a.kill('SIGTERM');
  });
}

test('enrollment retried against a dead collector logs one failure line, then one recovery; every line has ISO time, hostname, agentId once enrolled', async (t) => {
  const tc = await startTestCollector();
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-logs-'));
  const port = await freePort();
  let proxy: Server | undefined;
  let agent: ChildProcess | undefined;
  try {
    const secret = (await api<{ secret: string }>(tc, 'POST', '/v1/enroll-secrets', { comment: 'logs' })).body.secret;
    const wsus = 'http://127.0.0.1:1';
    const dir = await makeSimDir(
      root,
      'srv-logs',
      wsus,
      cycles(new Date().toISOString().slice(0, 10), 0, 1, wsus, null),
    );
    const args = [BIN, 'run', '--simulate', dir, '--collector', `http://127.0.0.1:${port}`];
    args.push('--enroll-secret', secret, '--hostname', 'srv-logs');
    const a = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    agent = a;
    let out = '';
    a.stdout.on('data', (d: Buffer) => (out += d.toString()));
    a.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Enrollment retries back off from 2 s with jitter: 9 s holds several attempts.
    await sleep(9000);
    const before = out.split('\n').filter((l) => l.includes('enrollment failed'));
    t.is(before.length, 1, out);
    proxy = await forward(port, Number(new URL(tc.url).port));
    const lines = await waitFor(
      () => {
        const ls = out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        return ls.some((l) => typeof l.msg === 'string' && l.msg.startsWith('running in')) ? ls : undefined;
      },
      30_000,
      'the agent running after enrollment',
    );
    t.is(lines.filter((l) => String(l.msg).includes('enrollment failed')).length, 1);
    const recovered = lines.filter((l) => l.msg === 'enrollment works again');
    t.is(recovered.length, 1);
    t.true((recovered[0]!.repeatsNotLogged as number) >= 1, 'the retries happened and were not logged');
    const agentId = recovered[0]!.agentId as string;
    t.truthy(agentId);
    for (const l of lines) {
      t.regex(String(l.time), ISO);
      t.is(l.hostname, 'srv-logs');
    }
    const running = lines.find((l) => String(l.msg).startsWith('running in'))!;
    t.is(running.agentId, agentId);
  } finally {
    if (agent) await stopAgent(agent);
    if (proxy) proxy.close();
    await tc.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('--pretty writes one readable line per entry to stderr, nothing to stdout', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-pretty-'));
  try {
    const dir = await makeSimDir(root, 'srv-pretty', 'http://127.0.0.1:1', '');
    const args = [BIN, 'run', '--pretty', '--simulate', dir, '--collector', `http://127.0.0.1:${await freePort()}`];
    args.push('--enroll-secret', 'wwe_unused', '--hostname', 'srv-pretty');
    const a = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    a.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    a.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => (stderr.includes('enrollment failed') ? true : undefined), 15_000, 'a pretty line');
    await stopAgent(a);
    t.is(stdout, '');
    t.regex(stderr, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z WARN {2}enrollment failed; retrying .*retryInMs=\d+/m);
    t.notRegex(stderr, /^\{/m, 'no JSON lines');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
