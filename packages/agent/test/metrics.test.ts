// The agent's own /metrics (issue 17): the real CLI (the built bundle) in event mode against a real collector and a
// WSUS stand-in, scraped over HTTP on 127.0.0.1 and checked by `promtool check metrics`; a non-loopback address is
// refused at start unless allowed.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, startTestCollector } from '../../collector/test/helpers/collector.js';
import { promtool } from '../../collector/test/helpers/promtool.js';
import { isLoopback, parseListen, renderMetrics } from '../src/metrics/index.js';
import { CHANNEL_FILE } from '../src/sources/index.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { policyReg, waitFor } from './helpers/sim.js';

const BIN = fileURLToPath(new URL('../bin/wuwatch-agent.js', import.meta.url));
const fixture = (name: string) => readFile(fileURLToPath(new URL(`./fixtures/sources/${name}`, import.meta.url)));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function stopAgent(a: ChildProcess): Promise<void> {
  if (a.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    a.once('exit', () => r());
    a.kill('SIGTERM');
  });
}

/** `name{labels} value` lines of the exposition, as a map from the series to its value. */
function series(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

test('listen addresses: host:port and [v6]:port; loopback is 127/8, ::1 and localhost only', (t) => {
  t.deepEqual(parseListen('127.0.0.1:9469'), { host: '127.0.0.1', port: 9469 });
  t.deepEqual(parseListen('[::1]:9469'), { host: '::1', port: 9469 });
  t.deepEqual(parseListen('localhost:0'), { host: 'localhost', port: 0 });
  for (const bad of ['9469', '127.0.0.1', '127.0.0.1:99999', '::1:9469', 'http://127.0.0.1:9469'])
    t.throws(() => parseListen(bad), { message: /metrics\.listen/ }, bad);
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])
    t.true(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', 'wuwatch.corp.example', '128.0.0.1']) t.false(isLoopback(h), h);
});

test('label values are escaped and an agent with nothing yet shows only what it knows', (t) => {
  const text = renderMetrics(
    {
      version: '0.1.0',
      nodeVersion: 'v22.23.3',
      now: new Date(1_000_000),
      startTime: new Date(0),
      cpu: { userMicros: 1, systemMicros: 2 },
      memory: { rss: 1, heapTotal: 2, heapUsed: 3, external: 4 },
    },
    [
      {
        machine: 'odd"name\\x',
        mode: 'event',
        spool: { pending: 0, lastSeq: 0, ackedSeq: 0 },
        lastDeliveryAt: null,
        connected: false,
        protocol: null,
        probe: null,
        sources: [],
      },
    ],
  );
  t.regex(text, /wuwatch_agent_spool_pending_events\{machine="odd\\"name\\\\x"\} 0/);
  t.notRegex(text, /wuwatch_agent_last_delivery|wuwatch_agent_probe_ok|wuwatch_agent_protocol_version/);
});

test('run with metrics.listen: a real scrape shows spool, delivery, probe, channel state, build and process; promtool accepts it', async (t) => {
  const tc = await startTestCollector();
  const wsus = await startWsusStandin('503');
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-metrics-'));
  let agent: ChildProcess | undefined;
  try {
    // A 2016+ server as captured files: no WindowsUpdate.log (event mode), the channel disabled.
    const dir = join(root, 'srv-metrics');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'policy.reg'), policyReg(wsus.url));
    await writeFile(join(dir, CHANNEL_FILE), await fixture('wevtutil/gl-operational-disabled.txt'));
    const port = await freePort();
    const config = join(root, 'agent.json');
    await writeFile(config, JSON.stringify({ metrics: { listen: `127.0.0.1:${port}` } }));
    const secret = (await api<{ secret: string }>(tc, 'POST', '/v1/enroll-secrets', { comment: 'metrics' })).body
      .secret;
    const args = [BIN, 'run', '--simulate', dir, '--config', config, '--collector', tc.url, '--enroll-secret', secret];
    const a = spawn(process.execPath, [...args, '--hostname', 'srv-metrics'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent = a;
    let out = '';
    a.stdout.on('data', (d: Buffer) => (out += d.toString()));
    a.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => null);
      return res?.status === 200 ? { type: res.headers.get('content-type'), text: await res.text() } : undefined;
    };
    const done = await waitFor(
      async () => {
        const s = await scrape();
        if (!s) return undefined;
        const m = series(s.text);
        const ready =
          m.get('wuwatch_agent_probe_ok{machine="srv-metrics"}') === 0 &&
          m.get('wuwatch_agent_spool_pending_events{machine="srv-metrics"}') === 0 &&
          (m.get('wuwatch_agent_acked_seq{machine="srv-metrics"}') ?? 0) >= 3;
        return ready ? s : undefined;
      },
      30_000,
      `a scrape after delivery (agent output: ${out.slice(-2000)})`,
    );
    t.is(done.type, 'text/plain; version=0.0.4; charset=utf-8');
    const m = series(done.text);
    const M = 'machine="srv-metrics"';
    t.is(m.get(`wuwatch_agent_build_info{version="0.1.0",node_version="${process.version}"}`), 1);
    t.is(m.get(`wuwatch_agent_info{${M},mode="event"}`), 1);
    t.is(m.get(`wuwatch_agent_collector_connected{${M}}`), 1);
    t.is(m.get(`wuwatch_agent_protocol_version{${M}}`), 2);
    t.is(m.get(`wuwatch_agent_probe_result{${M},class="http_status"}`), 1);
    t.is(m.get(`wuwatch_agent_probe_result{${M},class="ok"}`), 0);
    const channel = `${M},source="event_channel",name="Microsoft-Windows-WindowsUpdateClient/Operational"`;
    t.is(m.get(`wuwatch_agent_source_state{${channel},state="disabled"}`), 1);
    t.is(m.get(`wuwatch_agent_source_state{${channel},state="enabled"}`), 0);
    const delivered = m.get(`wuwatch_agent_last_delivery_timestamp_seconds{${M}}`)!;
    t.true(Math.abs(delivered - Date.now() / 1000) < 60, String(delivered));
    // Each check names itself and its value: a failure under load must say which figure was off.
    const age = m.get(`wuwatch_agent_last_delivery_age_seconds{${M}}`);
    t.true(age !== undefined && age < 60, `last delivery age ${age}`);
    const rss = m.get('process_resident_memory_bytes');
    t.true(rss !== undefined && rss > 10 * 1024 * 1024, `rss ${rss}`);
    const cpu = m.get('process_cpu_seconds_total');
    t.true(cpu !== undefined && cpu > 0, `cpu ${cpu}`);
    // Whole seconds, rounded: at most half a second past the true start.
    const start = m.get('process_start_time_seconds');
    t.true(start !== undefined && start <= Date.now() / 1000 + 1, `start ${start}, now ${Date.now() / 1000}`);

    const check = await promtool(['check', 'metrics'], done.text);
    t.is(check.code, 0, check.stdout + check.stderr);
    t.is((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    t.is((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    if (agent) await stopAgent(agent);
    await wsus.close();
    await tc.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('run refuses a non-loopback metrics address unless allowNonLoopback is set', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-metrics-refuse-'));
  try {
    const dir = join(root, 'srv');
    await mkdir(dir);
    await writeFile(join(dir, 'policy.reg'), policyReg('http://127.0.0.1:1'));
    const config = join(root, 'agent.json');
    await writeFile(config, JSON.stringify({ metrics: { listen: '0.0.0.0:0' } }));
    const a = spawn(
      process.execPath,
      [BIN, 'run', '--simulate', dir, '--config', config, '--collector', 'http://127.0.0.1:1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    a.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => a.once('exit', r));
    t.is(code, 2);
    t.regex(err, /WUW_CONFIG_INVALID|not a loopback address/);
    t.regex(err, /allowNonLoopback/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
