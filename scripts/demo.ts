/**
 * `npm run demo`: the field report's story on one machine, no Windows needed. Starts a collector (embedded
 * PGlite unless DATABASE_URL is set), three WSUS stand-ins on 127.0.0.1 (healthy, answering 503 like a dead
 * WSUS app pool, and a closed port), and simulated agents whose policy points at them, then prints the
 * fleet as the collector sees it. `--duration SECONDS` ends it by itself; Ctrl+C stops everything cleanly.
 */
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig, startCollector } from '@wuwatch/collector';
import { startWsusStandin } from '../packages/agent/test/helpers/wsus-standin.js';
import { loadAgentConfig } from '../packages/agent/src/config/load.js';
import { ensureEnrolled } from '../packages/agent/src/enroll/enroll.js';
import { createSources } from '../packages/agent/src/sources/index.js';
import { RecordingRunner } from '../packages/agent/src/platform/index.js';
import { Agent } from '../packages/agent/src/runtime/agent.js';

const { values } = parseArgs({
  options: { duration: { type: 'string' }, agents: { type: 'string', default: '9' }, port: { type: 'string', default: '8470' } },
  strict: true,
});
const silent = pino({ level: 'silent' });

function policyReg(wsus: string | null, useWuServer: boolean): string {
  const lines = ['Windows Registry Editor Version 5.00', '', '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate]'];
  if (wsus) lines.push(`"WUServer"="${wsus}"`, `"WUStatusServer"="${wsus}"`);
  lines.push('', '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU]');
  if (useWuServer) lines.push('"UseWUServer"=dword:00000001');
  return lines.join('\r\n') + '\r\n';
}

function cycle(at: Date, wsus: string, hresult: string | null): string {
  const day = at.toISOString().slice(0, 10);
  const t = at.toISOString().slice(11, 19);
  const l = (ms: string, comp: string, text: string) => `${day}\t${t}:${ms}\t 884\ta70\t${comp}\t${text}`;
  const out = [
    l('000', 'Agent', '** START **  Agent: Finding updates [CallerId = AutomaticUpdates]'),
    l('001', 'Agent', '  * ServiceID = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7} Managed'),
    l('002', 'PT', `  + ServiceId = {3DA21691-E39D-4DA6-8A4B-B43877BCB1B7}, Server URL = ${wsus}/ClientWebService/client.asmx`),
  ];
  if (hresult) {
    out.push(l('100', 'Misc', `WARNING: DownloadFileInternal failed for ${wsus}/selfupdate/wuident.cab: error 0x801901f7`));
    out.push(l('101', 'Agent', `  * WARNING: Skipping scan, self-update check returned ${hresult}`));
    out.push(l('102', 'Agent', `  * WARNING: Exit code = ${hresult}`));
  } else {
    out.push(l('100', 'Agent', '  * Found 2 updates and 13 categories in search; evaluated appl. rules of 512 out of 1024 deployed entities'));
  }
  out.push(l('200', 'Agent', '**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]'));
  return out.join('\r\n') + '\r\n';
}

async function main(): Promise<void> {
  const adminToken = 'demo-' + randomBytes(16).toString('hex');
  const work = await mkdtemp(join(tmpdir(), 'wuwatch-demo-'));
  const config = loadConfig({ overrides: { port: Number(values.port), adminToken, dataDir: process.env.WUWATCH_DATA_DIR ?? join(work, 'data'), logLevel: 'warn' } });
  process.stdout.write(`Starting the collector (${config.databaseUrl ? 'PostgreSQL from DATABASE_URL' : 'embedded PGlite database: for trying out only, production wants PostgreSQL'})…\n`);
  const collector = await startCollector(config, pino({ level: 'warn' }));
  const healthy = await startWsusStandin('healthy');
  const dead = await startWsusStandin('503');
  const gone = await startWsusStandin('refuse');
  const res = await fetch(`${collector.url}/v1/enroll-secrets`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ comment: 'demo' }) });
  const { secret } = (await res.json()) as { secret: string };

  const n = Math.max(4, Number(values.agents));
  const plan: { name: string; wsus: string | null; use: boolean; fail: string | null }[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i === 0 ? 'orphan' : i === 1 ? 'misconfigured' : i % 3 === 0 ? 'dead' : 'healthy';
    if (kind === 'orphan') plan.push({ name: 'build-pc-leftover', wsus: gone.url, use: true, fail: '0x8024402C' });
    else if (kind === 'misconfigured') plan.push({ name: `srv-misconf-${i}`, wsus: null, use: true, fail: '0x80244011' });
    else if (kind === 'dead') plan.push({ name: `srv-app-${i}`, wsus: dead.url, use: true, fail: '0x80244022' });
    else plan.push({ name: `srv-web-${i}`, wsus: healthy.url, use: true, fail: null });
  }
  const agents: Agent[] = [];
  for (const p of plan) {
    const dir = join(work, p.name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'policy.reg'), policyReg(p.wsus, p.use));
    const now = Date.now();
    const log = [3, 2, 1].map((d) => cycle(new Date(now - d * 22 * 3600_000), p.wsus ?? 'http://(none)', p.fail)).join('');
    await writeFile(join(dir, 'WindowsUpdate.log'), log);
    const stateDir = join(dir, 'state');
    const agentConfig = loadAgentConfig({ env: {}, overrides: { collectorUrl: collector.url, enrollSecret: secret, stateDir, simulateDir: dir, hostname: p.name, logLevel: 'silent', intervals: { tailMs: 500, policySeconds: 30, probeSeconds: 15, probeMaxBackoffSeconds: 30, wuaSeconds: 60, eventSeconds: 30 }, probeTimeouts: { dnsMs: 2000, tcpMs: 2000, tlsMs: 2000, httpMs: 3000 } } });
    const credentials = await ensureEnrolled({ collectorUrl: collector.url, enrollSecret: secret, stateDir, hostname: p.name });
    const sources = createSources({ platform: 'simulate', simulateDir: dir, runner: new RecordingRunner(), stateDir });
    const agent = new Agent({ config: agentConfig, credentials, sources, log: silent, logPath: join(dir, 'WindowsUpdate.log'), logOffsetMinutes: 0 });
    await agent.start();
    agents.push(agent);
    process.stdout.write(`\rfleet coming up: ${agents.length}/${plan.length} agents`);
  }
  process.stdout.write('\n');

  const show = async () => {
    const r = await fetch(`${collector.url}/v1/machines?limit=1000`, { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await r.json()) as { items: { hostname: string; status: string; wsus_url: string | null; last_detection_hresult: string | null; status_reasons: { message: string }[] }[] };
    process.stdout.write(`\n${new Date().toISOString()}  fleet as the collector sees it:\n`);
    for (const m of body.items) {
      process.stdout.write(`  ${m.hostname.padEnd(20)} ${m.status.padEnd(17)} ${(m.wsus_url ?? '-').padEnd(28)} ${m.last_detection_hresult ?? ''}\n`);
      const why = m.status_reasons[0]?.message;
      if (why && m.status !== 'healthy') process.stdout.write(`      ${why}\n`);
    }
  };
  await new Promise((r) => setTimeout(r, 3000));
  await show();
  process.stdout.write(`\nAPI: ${collector.url}  (token: ${adminToken})\nTry: WUWATCH_URL=${collector.url} WUWATCH_TOKEN=${adminToken} npx wuwatch wsus\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping…\n');
    for (const a of agents) await a.stop(1000);
    await Promise.all([healthy.close(), dead.close(), gone.close()]);
    await collector.close();
    await rm(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  const duration = values.duration ? Number(values.duration) * 1000 : null;
  const timer = setInterval(() => void show(), 30_000);
  if (duration !== null) {
    await new Promise((r) => setTimeout(r, Math.max(0, duration - 3000)));
    clearInterval(timer);
    await show();
    await stop();
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
