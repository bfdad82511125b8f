/**
 * `npm run bench:agent`: the agent's footprint and speed, measured on this machine.
 * - idle: CPU% and RSS of an agent process tailing a log with nothing new, sampled once a second for 60 s;
 * - catch-up: MB/s of a fresh agent working through a 100 MB backlog log until its tail checkpoint reaches the
 *   end, against a ceiling measured in the same run (plain chunked read + newline split of the same file);
 *   That backlog is the worst case: nothing but detection cycles (~640 bytes each, two events per cycle). A second
 *   catch-up runs over realistic legacy log text (the parse benchmark's generator: chatter, settings blocks, a cycle
 *   now and then), where the parser's speed, not the per-event work, should set the pace;
 * - end to end: events/s from log line to acknowledged at a real collector on PostgreSQL.
 * Writes bench/results/agent.json. Run with `node --conditions=wuwatch-source --import tsx bench/agent.ts`
 * (BENCH_IDLE_SECONDS and BENCH_BACKLOG_MB shorten it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enrollAgent, startTestCollector } from '../packages/collector/test/helpers/collector.js';
import { startWsusStandin } from '../packages/agent/test/helpers/wsus-standin.js';
import { cycle, makeSimDir } from '../packages/agent/test/helpers/sim.js';
import { writeCredentials } from '../packages/agent/src/enroll/credentials.js';
import { generate } from './parse-data.js';

// The service runs the built JavaScript, so that is what is measured (run `npm run build` first).
const AGENT_MAIN = fileURLToPath(new URL('../packages/agent/bin/wuwatch-agent.js', import.meta.url));
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const BACKLOG_MB = Number(process.env.BENCH_BACKLOG_MB ?? 100);
const CLK_TCK = 100;

function procStats(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds, rssMb: rssKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startAgent(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [AGENT_MAIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, WUWATCH_LOG_LEVEL: 'warn' },
  });
  child.stderr!.resume();
  return child;
}

async function stopAgent(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function checkpointOffset(dir: string): Promise<number> {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'state', 'tail-checkpoint.json'), 'utf8')) as {
      checkpoint: { offset: number };
    };
    return v.checkpoint.offset;
  } catch {
    return 0;
  }
}

async function writeBacklog(path: string, mb: number, wsus: string): Promise<{ bytes: number; cycles: number }> {
  const fh = await open(path, 'w');
  let bytes = 0;
  let n = 0;
  const day = '2026-01-01';
  while (bytes < mb * 1024 * 1024) {
    let chunk = '';
    for (let i = 0; i < 1000; i++, n++) chunk += cycle(day, n, wsus, n % 3 === 0 ? null : '0x80244022');
    await fh.write(chunk);
    bytes += Buffer.byteLength(chunk);
  }
  await fh.close();
  return { bytes, cycles: n };
}

async function ceilingMbPerSec(path: string, bytes: number): Promise<number> {
  const t0 = performance.now();
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const buf = chunk as Buffer;
    let start = 0;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
      buf.toString('utf8', start, i);
      start = i + 1;
      lines++;
    }
  }
  void lines;
  return bytes / 1048576 / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const tc = await startTestCollector({ logLevel: 'silent' });
  const wsus = await startWsusStandin('healthy');
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-bench-agent-'));
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
  try {
    // Idle: a small log, caught up, then nothing new.
    const idleDir = await makeSimDir(root, 'idle', wsus.url, cycle('2026-01-01', 0, wsus.url, null));
    const idleCreds = await enrollAgent(tc, 'idle');
    await writeCredentials(join(idleDir, 'state'), { ...idleCreds, collectorUrl: tc.url });
    const idle = startAgent(['run', '--collector', tc.url, '--simulate', idleDir, '--hostname', 'idle']);
    await sleep(5000);
    const samples: { cpu: number; rss: number }[] = [];
    let prev = procStats(idle.pid!);
    for (let s = 0; s < IDLE_SECONDS; s++) {
      await sleep(1000);
      const cur = procStats(idle.pid!);
      samples.push({ cpu: (cur.cpuSeconds - prev.cpuSeconds) * 100, rss: cur.rssMb });
      prev = cur;
    }
    await stopAgent(idle);
    const first = samples[0]!;
    const totalCpu = samples.reduce((a, x) => a + x.cpu, 0) / samples.length;
    results.idle = {
      seconds: IDLE_SECONDS,
      cpuPercentMean: +totalCpu.toFixed(3),
      cpuPercentMedian: +median(samples.map((x) => x.cpu)).toFixed(3),
      rssMbMedian: +median(samples.map((x) => x.rss)).toFixed(1),
      rssMbMax: +Math.max(...samples.map((x) => x.rss)).toFixed(1),
      rssMbFirst: +first.rss.toFixed(1),
      targets: { cpuPercent: 1, rssMb: 60 },
    };
    process.stdout.write(`idle: ${JSON.stringify(results.idle)}\n`);

    // Catch-up of a backlog, and end to end to the collector.
    const dir = await makeSimDir(root, 'backlog', wsus.url, '');
    const logPath = join(dir, 'WindowsUpdate.log');
    const { bytes, cycles } = await writeBacklog(logPath, BACKLOG_MB, wsus.url);
    const run = await catchUp(tc, dir, 'backlog', bytes);
    const { agent, t0, ceiling } = run;
    let { peakRss } = run;
    const catchUpSeconds = run.seconds;
    // End to end: until the collector has every event of the backlog.
    let stored = 0;
    let doneAt = 0;
    for (;;) {
      const { rows } = await tc.collector.db.query<{ n: string; d: string }>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE kind = 'detection') AS d FROM events e JOIN machines m ON m.id = e.machine_id WHERE m.hostname = 'backlog'`,
      );
      stored = Number(rows[0]!.n);
      peakRss = Math.max(peakRss, procStats(agent.pid!).rssMb);
      if (Number(rows[0]!.d) >= cycles) {
        doneAt = performance.now();
        break;
      }
      if (performance.now() - t0 > 30 * 60_000) throw new Error('end to end did not finish in 30 min');
      await sleep(500);
    }
    await stopAgent(agent);
    const e2eSeconds = (doneAt - t0) / 1000;
    results.catchUpRealistic = await realisticCatchUp(tc, root, wsus.url);
    process.stdout.write(`catch-up (realistic log text): ${JSON.stringify(results.catchUpRealistic)}\n`);
    const size = (await stat(logPath)).size / 1048576;
    results.catchUp = {
      backlogMb: +size.toFixed(1),
      cycles,
      seconds: +catchUpSeconds.toFixed(2),
      mbPerSec: +(size / catchUpSeconds).toFixed(1),
      ceilingMbPerSecMedian: +ceiling.toFixed(1),
      ratioToCeiling: +(size / catchUpSeconds / ceiling).toFixed(3),
      peakRssMb: +peakRss.toFixed(1),
      note: 'catch-up includes parsing and writing every finding to the fsync-ed spool; the ceiling is a plain read + line split',
    };
    results.endToEnd = {
      events: stored,
      seconds: +e2eSeconds.toFixed(2),
      eventsPerSec: Math.round(stored / e2eSeconds),
    };
    process.stdout.write(
      `catch-up: ${JSON.stringify(results.catchUp)}\nend to end: ${JSON.stringify(results.endToEnd)}\n`,
    );
  } finally {
    await wsus.close();
    await tc.close();
    await rm(root, { recursive: true, force: true });
  }
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(
    fileURLToPath(new URL('./results/agent.json', import.meta.url)),
    JSON.stringify(results, null, 2) + '\n',
  );
  process.stdout.write('wrote bench/results/agent.json\n');
}

/**
 * Starts an agent on `dir` (its log `bytes` long) and waits until its tail checkpoint reaches the end; the
 * ceiling (median of three plain read + split runs of the same file) is measured first. The agent keeps running.
 */
async function catchUp(
  tc: Awaited<ReturnType<typeof startTestCollector>>,
  dir: string,
  hostname: string,
  bytes: number,
): Promise<{ agent: ChildProcess; t0: number; seconds: number; peakRss: number; ceiling: number }> {
  const ceilings: number[] = [];
  for (let i = 0; i < 3; i++) ceilings.push(await ceilingMbPerSec(join(dir, 'WindowsUpdate.log'), bytes));
  const creds = await enrollAgent(tc, hostname);
  await writeCredentials(join(dir, 'state'), { ...creds, collectorUrl: tc.url });
  const t0 = performance.now();
  const agent = startAgent(['run', '--collector', tc.url, '--simulate', dir, '--hostname', hostname]);
  let peakRss = 0;
  for (;;) {
    await sleep(100);
    peakRss = Math.max(peakRss, procStats(agent.pid!).rssMb);
    if ((await checkpointOffset(dir)) >= bytes) break;
    if (performance.now() - t0 > 10 * 60_000) throw new Error(`${hostname}: catch-up did not finish in 10 min`);
  }
  return { agent, t0, seconds: (performance.now() - t0) / 1000, peakRss, ceiling: median(ceilings) };
}

/** Catch-up over realistic legacy log text of BACKLOG_MB, to the tail checkpoint reaching the end. */
async function realisticCatchUp(
  tc: Awaited<ReturnType<typeof startTestCollector>>,
  root: string,
  wsusUrl: string,
): Promise<Record<string, unknown>> {
  const dir = await makeSimDir(root, 'realistic', wsusUrl, '');
  const text = generate(false, BACKLOG_MB * 1024 * 1024);
  await writeFile(join(dir, 'WindowsUpdate.log'), text);
  const { agent, seconds, peakRss, ceiling } = await catchUp(tc, dir, 'realistic', text.length);
  await stopAgent(agent);
  const mb = text.length / 1048576;
  return {
    backlogMb: +mb.toFixed(1),
    seconds: +seconds.toFixed(2),
    mbPerSec: +(mb / seconds).toFixed(1),
    ceilingMbPerSecMedian: +ceiling.toFixed(1),
    ratioToCeiling: +(mb / seconds / ceiling).toFixed(3),
    peakRssMb: +peakRss.toFixed(1),
    note: 'includes the agent process start (about 0.5 s) and polling the checkpoint every 100 ms',
  };
}

main().catch((err) => {
  process.stderr.write(`bench:agent failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
