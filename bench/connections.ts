/**
 * Issue 14's "about 20,000 idle sockets from one host" attack, re-measured: a collector with its default `limits`
 * runs in its own process; this process opens SOCKETS idle TCP connections (no request head) from ADDRESSES loopback
 * addresses (a quarter from 127.0.0.2, the rest spread over 127.0.0.3 …), CONCURRENCY at a time, while /healthz is probed every PROBE_MS (alternately from
 * 127.0.0.1 and from an address of the flood, as a load balancer behind the same NAT would), and a real agent
 * (WebSocket hello + batch) delivers in the middle of the flood and after it.
 * Writes bench/results/connections.json: socketsAttempted, socketsHeldByServer (peak of the collector's open
 * descriptors above its idle baseline, and the client's count at the end of the flood), healthzP50Ms/P95Ms (and
 * failures), agentDelivered, collectorRssMb (peak), fdsUsed (peak), the drop counters from /metrics.
 * Run: npm run bench:connections   (PostgreSQL on 127.0.0.1:5432; the open-file limit is raised to the hard limit
 * with prlimit when it is lower than the run needs, else run "ulimit -n 24000" first).
 * Knobs: WUWATCH_CONN_SOCKETS=20000, WUWATCH_CONN_ADDRESSES=100, WUWATCH_BENCH_OUT=/tmp/x.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { spawnCollector, type ChildCollector } from '../packages/collector/test/helpers/child-collector.js';
import { detectionEvents, TestAgent } from '../packages/collector/test/helpers/collector.js';
import { insertAgentsWithTokens } from '../packages/collector/test/helpers/fleet.js';
import { createBenchDatabase } from './lib/database.js';
import { mib, openFileLimit, percentile, round, rssOf } from './lib/stats.js';

const SOCKETS = Number(process.env.WUWATCH_CONN_SOCKETS ?? 20_000);
const ADDRESSES = Math.min(250, Number(process.env.WUWATCH_CONN_ADDRESSES ?? 100));
const CONCURRENCY = 500;
const PROBE_MS = 100;
/** Descriptors this process may need at once: what the collector holds (≤ maxConnections) plus connects in flight. */
const NEEDED_FDS = 4096 + CONCURRENCY + 1000;

/** Raises this process's soft open-file limit to the hard one when it is too low (children inherit it). */
function raiseFileLimit(): number {
  if (openFileLimit() >= NEEDED_FDS) return openFileLimit();
  const hard = /^Max open files\s+\d+\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  const target = hard === undefined || hard === 'unlimited' ? NEEDED_FDS : hard;
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${target}`], { stdio: 'inherit' });
  return openFileLimit();
}

const fdsOf = (pid: number): number => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
};

/** GET /healthz from `localAddress`: milliseconds, or the error. */
function probe(url: string, localAddress: string): Promise<{ ms: number } | { error: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}/healthz`, { localAddress, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve(res.statusCode === 200 ? { ms: performance.now() - t0 } : { error: `HTTP ${res.statusCode}` }),
      );
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

/** One idle connection; resolves once connected or failed. The socket stays open until the server drops it. */
function idle(port: number, localAddress: string, open: Set<Socket>, errors: Map<string, number>): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    s.on('connect', () => {
      open.add(s);
      resolve();
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      errors.set(code, (errors.get(code) ?? 0) + 1);
      resolve();
    });
    s.on('close', () => {
      open.delete(s);
      resolve();
    });
  });
}

/** A real agent: WebSocket upgrade with its token, hello, one batch of `n` events; true when all were acknowledged. */
async function deliver(c: ChildCollector, agent: { agentId: string; token: string }, from: number, n: number) {
  const t0 = performance.now();
  try {
    const a = await TestAgent.connect(c.wsUrl, agent.token);
    await a.hello(agent.agentId, 'srv-under-siege');
    const upTo = await a.batch(from, detectionEvents(from, from + n - 1));
    a.close();
    return { delivered: upTo === from + n - 1, ms: round(performance.now() - t0) };
  } catch (err) {
    return { delivered: false, ms: round(performance.now() - t0), error: (err as Error).message };
  }
}

const fileLimit = raiseFileLimit();
if (fileLimit < NEEDED_FDS) {
  console.error(`ulimit -n is ${fileLimit}; this run needs about ${NEEDED_FDS}. Run "ulimit -n 24000" first.`);
  process.exit(2);
}
const adminToken = 'bench-admin-token-' + process.pid.toString().padStart(8, '0');
const database = await createBenchDatabase();
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
let collector: ChildCollector | null = null;
const open = new Set<Socket>();
try {
  collector = await spawnCollector({
    DATABASE_URL: database.url,
    WUWATCH_HOST: '127.0.0.1',
    WUWATCH_PORT: '0',
    WUWATCH_ADMIN_TOKEN: adminToken,
    WUWATCH_LOG_LEVEL: 'warn',
  });
  const c = collector;
  const [agent] = await insertAgentsWithTokens(pool, 1, 'agt_conn_');
  const before = await deliver(c, agent!, 1, 10);
  const baselineFds = fdsOf(c.pid);

  // Sampling: the collector's descriptors and RSS, and /healthz, all through the flood and a little after.
  let sampling = true;
  let peakFds = baselineFds;
  let peakRss = rssOf(c.pid);
  const probesMs: number[] = [];
  const probesFromFloodMs: number[] = [];
  const probeErrors = new Map<string, number>();
  const sampler = (async () => {
    while (sampling) {
      peakFds = Math.max(peakFds, fdsOf(c.pid));
      peakRss = Math.max(peakRss, rssOf(c.pid));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const prober = (async () => {
    for (let i = 0; sampling; i++) {
      const fromFlood = i % 2 === 1;
      const r = await probe(c.url, fromFlood ? '127.0.0.2' : '127.0.0.1');
      if ('ms' in r) (fromFlood ? probesFromFloodMs : probesMs).push(r.ms);
      else {
        const key = `${r.error} from ${fromFlood ? 'the heavy host' : '127.0.0.1'}`;
        probeErrors.set(key, (probeErrors.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, PROBE_MS));
    }
  })();

  const connectErrors = new Map<string, number>();
  const started = performance.now();
  let midFlood: Awaited<ReturnType<typeof deliver>> | null = null;
  const targets: string[] = [];
  // One heavy host (127.0.0.2: a quarter of the flood, far over its per-address cap) and the rest spread over the
  // other addresses, which together push the collector to its global cap.
  for (let i = 0; i < SOCKETS; i++) targets.push(`127.0.0.${i % 4 === 0 ? 2 : 3 + (i % (ADDRESSES - 1))}`);
  for (let i = 0; i < targets.length; i += CONCURRENCY) {
    await Promise.all(targets.slice(i, i + CONCURRENCY).map((a) => idle(c.port, a, open, connectErrors)));
    if (midFlood === null && i >= SOCKETS / 2) midFlood = await deliver(c, agent!, 11, 10);
  }
  const floodSeconds = round((performance.now() - started) / 1000, 1);
  await new Promise((r) => setTimeout(r, 500));
  const heldAtEnd = open.size;
  const after = await deliver(c, agent!, 21, 10);
  await new Promise((r) => setTimeout(r, 1000));
  sampling = false;
  await Promise.all([sampler, prober]);

  const scrape = await (await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
  const dropped: Record<string, number> = {};
  for (const m of scrape.matchAll(/^wuwatch_connections_dropped_total\{reason="(\w+)"\} (\d+)/gm)) {
    dropped[m[1]!] = Number(m[2]);
  }
  const allProbes = [...probesMs, ...probesFromFloodMs];
  const out = {
    when: new Date().toISOString(),
    note:
      'shared 2-core machine (other work may run beside it; the load average says how much): figures are noisy; the flood, the probes and the ' +
      'collector share the 2 cores',
    limits: 'collector defaults: maxConnections 4096, maxUnauthenticatedPerAddress 64, headersTimeoutSeconds 10',
    socketsAttempted: SOCKETS,
    addresses: ADDRESSES,
    fromHeavyHost: Math.ceil(SOCKETS / 4),
    floodSeconds,
    connectErrors: Object.fromEntries(connectErrors),
    socketsHeldByServer: peakFds - baselineFds,
    socketsHeldByServerAtEnd: heldAtEnd,
    fdsUsed: peakFds,
    fdsBaseline: baselineFds,
    collectorRssMb: mib(peakRss),
    healthzProbes: allProbes.length,
    healthzP50Ms: round(percentile(allProbes, 50)),
    healthzP95Ms: round(percentile(allProbes, 95)),
    healthzFromFloodedAddressP95Ms: round(percentile(probesFromFloodMs, 95)),
    healthzFailures: Object.fromEntries(probeErrors),
    agentDelivered: before.delivered && (midFlood?.delivered ?? false) && after.delivered,
    agent: { before, midFlood, after },
    droppedByReason: dropped,
    collectorAlive: c.proc.exitCode === null && c.proc.signalCode === null,
  };
  console.log(JSON.stringify(out, null, 2));
  const file = process.env.WUWATCH_BENCH_OUT ?? fileURLToPath(new URL('./results/connections.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
} finally {
  for (const s of open) s.destroy();
  await collector?.stop();
  await pool.end();
  await database.drop();
}
