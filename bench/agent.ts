/**
 * `npm run bench:agent`: the agent's footprint and speed, measured on this machine.
 * - idle: CPU% and RSS of an agent process tailing a log with nothing new, sampled once a second for 60 s;
 * - catch-up: MB/s of fresh agents (median of three) working through a 100 MB backlog log with the collector out of
 *   reach, from the tail's start until the tail checkpoint reaches the end: the agent's own work (read, parse, spool
 *   with fsync, checkpoint). Compared with ceilings measured in the same run on the same file: read + parse ("parse
 *   speed", what the issue asks to match) both warm in this process and cold in a fresh one (as the agent is), and
 *   plain chunked read + newline split. One backlog is
 *   the worst case, nothing but detection cycles (~640 bytes each, two events per cycle); the other is realistic
 *   legacy log text (the parse benchmark's generator: chatter, settings blocks, a cycle now and then);
 * - end to end: events/s from log line to acknowledged at a real collector on PostgreSQL (a fresh agent on the
 *   worst-case backlog), and its catch-up speed while the collector shares this machine's cores.
 * - idle as a SEA under Wine: the same idle measurement for dist/windows/wuwatch-agent.exe (npm run package:windows)
 *   run by Debian's Wine, whose own libraries count in the process's RSS (what Windows reports will differ);
 *   skipped, and said so, when the exe or Wine is missing.
 * Writes bench/results/agent.json. Run with `node --conditions=wuwatch-source --import tsx bench/agent.ts`
 * (BENCH_IDLE_SECONDS and BENCH_BACKLOG_MB shorten it; BENCH_AGENT_NODE_ARGS passes node flags to the agents;
 * BENCH_AGENT_ONLY=idle or =catchup runs that part alone and prints it without writing the results file).
 * The idle part also measures bare Node (`setInterval` and nothing else) the same way: the floor under the agent's RSS.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { enrollAgent, startTestCollector } from '../packages/collector/test/helpers/collector.js';
import { startWsusStandin } from '../packages/agent/test/helpers/wsus-standin.js';
import { cycle, makeSimDir } from '../packages/agent/test/helpers/sim.js';
import { writeCredentials } from '../packages/agent/src/enroll/credentials.js';
import { WuLogParser } from '../packages/core/src/wulog/index.js';
import { generate } from './parse-data.js';

// The service runs the built JavaScript, so that is what is measured (run `npm run build` first).
const AGENT_MAIN = fileURLToPath(new URL('../packages/agent/bin/wuwatch-agent.js', import.meta.url));
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const BACKLOG_MB = Number(process.env.BENCH_BACKLOG_MB ?? 100);
const CLK_TCK = 100;
const CATCH_UP_RUNS = Number(process.env.BENCH_CATCH_UP_RUNS ?? 3);
// Extra node flags for the agent processes, e.g. BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
const NODE_ARGS = (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** `idle` or `catchup` runs that part alone (printed, bench/results/agent.json left as it is). */
const ONLY = process.env.BENCH_AGENT_ONLY ?? '';

function procStats(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds, rssMb: rssKb / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startAgent(args: string[], logLevel = 'warn'): ChildProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, AGENT_MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WUWATCH_LOG_LEVEL: logLevel },
  });
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

/** Resolves at the agent's "running in log mode" line: the process is up and the tail is about to start. */
function tailStarted(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen = (seen + d.toString('utf8')).slice(-4096);
      if (seen.includes('running in log mode')) {
        child.stdout!.off('data', onData);
        resolve(performance.now());
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`agent exited (${code}) before its tail started`)));
  });
}

async function stopAgent(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * The tail's committed position as the agent reports it: its `log tail: caught_up` line (info level) comes once a
 * backlog is on disk in the spool, together with the position after it (the agent keeps no separate checkpoint file).
 */
function watchTail(child: ChildProcess): { offset: number } {
  const seen = { offset: 0 };
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"caught_up"')) continue;
      const offset = (JSON.parse(line) as { report?: { offset?: number } }).report?.offset ?? 0;
      seen.offset = Math.max(seen.offset, offset);
    }
  });
  return seen;
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

/** Parse speed on this file: chunked read + the agent's log parser, findings counted and dropped. */
async function parseMbPerSec(path: string, bytes: number): Promise<number> {
  const t0 = performance.now();
  let findings = 0;
  const parser = new WuLogParser({ onFinding: () => void findings++ });
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) parser.push(chunk as Buffer);
  parser.end();
  return bytes / 1048576 / ((performance.now() - t0) / 1000);
}

// The same read + parse in a fresh node process, as the agent's catch-up is: it pays the same JIT warm-up.
const COLD_PARSE = `
import { createReadStream } from 'node:fs';
const { WuLogParser } = await import(process.argv[2]);
const t0 = performance.now();
const parser = new WuLogParser({ onFinding: () => undefined });
for await (const chunk of createReadStream(process.argv[1], { highWaterMark: 256 * 1024 })) parser.push(chunk);
parser.end();
process.stdout.write(String(performance.now() - t0));
`;
const CORE_DIST = new URL('../packages/core/dist/index.js', import.meta.url).href;

/** Parse speed on this file in a fresh process (the built core, as the agent bundle has it). */
function coldParseMbPerSec(path: string, bytes: number): number {
  const ms = Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', COLD_PARSE, path, CORE_DIST], { encoding: 'utf8' }),
  );
  return bytes / 1048576 / (ms / 1000);
}

/** Idle RSS samples of an agent process, once a second for IDLE_SECONDS after a 5 s settle. */
async function idleSamples(pid: number): Promise<{ cpu: number; rss: number }[]> {
  await sleep(5000);
  const samples: { cpu: number; rss: number }[] = [];
  let prev = procStats(pid);
  for (let s = 0; s < IDLE_SECONDS; s++) {
    await sleep(1000);
    const cur = procStats(pid);
    samples.push({ cpu: (cur.cpuSeconds - prev.cpuSeconds) * 100, rss: cur.rssMb });
    prev = cur;
  }
  return samples;
}

/** The idle measurement for the SEA exe under Wine, or why it was skipped. */
async function idleSeaUnderWine(
  tc: { url: string; adminToken: string },
  root: string,
  wsusUrl: string,
): Promise<Record<string, unknown>> {
  const exe = fileURLToPath(new URL('../dist/windows/wuwatch-agent.exe', import.meta.url));
  try {
    execFileSync('sh', ['-c', 'command -v wine && test -f "$0"', exe], { stdio: 'ignore' });
  } catch {
    return { skipped: 'no dist/windows/wuwatch-agent.exe or no wine: run npm run package:windows' };
  }
  const { WinePrefix, winePath } = await import('../packages/agent/test/helpers/wine.js');
  const wine = await WinePrefix.create('win10');
  try {
    const dir = await makeSimDir(root, 'idle-sea', wsusUrl, cycle('2026-01-01', 0, wsusUrl, null));
    const creds = await enrollAgent(tc, 'idle-sea');
    await writeCredentials(join(dir, 'state'), { ...creds, collectorUrl: tc.url });
    const args = ['run', '--collector', tc.url, '--simulate', winePath(dir), '--hostname', 'idle-sea'];
    // Node under Wine cannot write to a pipe: output goes to a file.
    const child = spawn('sh', ['-c', `exec wine "$0" "$@" </dev/null >"${join(root, 'sea.log')}" 2>&1`, exe, ...args], {
      env: { ...wine.env, WUWATCH_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    // wine execs its loader, so the child's pid is the Windows process itself.
    const samples = await idleSamples(child.pid!);
    await stopAgent(child);
    return {
      seconds: IDLE_SECONDS,
      cpuPercentMedian: +median(samples.map((x) => x.cpu)).toFixed(3),
      rssMbMedian: +median(samples.map((x) => x.rss)).toFixed(1),
      rssMbMax: +Math.max(...samples.map((x) => x.rss)).toFixed(1),
      note: "Wine 8 process RSS, including Wine's own DLLs and its preloader",
    };
  } finally {
    await wine.dispose();
  }
}

async function main(): Promise<void> {
  const tc = await startTestCollector({ logLevel: 'silent' });
  const wsus = await startWsusStandin('healthy');
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-bench-agent-'));
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
  try {
    if (ONLY === '' || ONLY === 'idle') {
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
      // The floor: the same Node with nothing but a timer, sampled the same way.
      const bare = spawn(process.execPath, [...NODE_ARGS, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const bareSamples = await idleSamples(bare.pid!);
      await stopAgent(bare);
      const first = samples[0]!;
      const totalCpu = samples.reduce((a, x) => a + x.cpu, 0) / samples.length;
      results.idle = {
        seconds: IDLE_SECONDS,
        cpuPercentMean: +totalCpu.toFixed(3),
        cpuPercentMedian: +median(samples.map((x) => x.cpu)).toFixed(3),
        rssMbMedian: +median(samples.map((x) => x.rss)).toFixed(1),
        rssMbMax: +Math.max(...samples.map((x) => x.rss)).toFixed(1),
        rssMbFirst: +first.rss.toFixed(1),
        bareNodeRssMbMedian: +median(bareSamples.map((x) => x.rss)).toFixed(1),
        nodeArgs: NODE_ARGS.join(' '),
        targets: { cpuPercent: 1, rssMb: 50 },
      };
      process.stdout.write(`idle: ${JSON.stringify(results.idle)}\n`);
    }
    if (ONLY === 'idle') return;
    results.idleSeaWine = await idleSeaUnderWine(tc, root, wsus.url);
    process.stdout.write(`idle (SEA under Wine): ${JSON.stringify(results.idleSeaWine)}\n`);

    // Catch-up of a backlog with the collector out of reach: the agent's own work, log to fsync'ed spool.
    const dir = await makeSimDir(root, 'backlog', wsus.url, '');
    const logPath = join(dir, 'WindowsUpdate.log');
    const { bytes, cycles } = await writeBacklog(logPath, BACKLOG_MB, wsus.url);
    const mb = bytes / 1048576;
    results.catchUp = {
      ...catchUpFigures(mb, await catchUpRuns(dir, bytes)),
      cycles,
      note: 'nothing but detection cycles: two events per ~640 bytes',
    };
    process.stdout.write(`catch-up: ${JSON.stringify(results.catchUp)}\n`);
    const realisticDir = await makeSimDir(root, 'realistic', wsus.url, '');
    const text = generate(false, BACKLOG_MB * 1024 * 1024);
    await writeFile(join(realisticDir, 'WindowsUpdate.log'), text);
    results.catchUpRealistic = {
      ...catchUpFigures(text.length / 1048576, await catchUpRuns(realisticDir, text.length)),
      note: "the parse benchmark's legacy log text",
    };
    process.stdout.write(`catch-up (realistic log text): ${JSON.stringify(results.catchUpRealistic)}\n`);

    if (ONLY === 'catchup') return;
    // End to end: a fresh agent on the same backlog with the collector up, until the collector has every event.
    const creds = await enrollAgent(tc, 'backlog');
    const e2eState = join(root, 'e2e-state');
    await writeCredentials(e2eState, { ...creds, collectorUrl: tc.url });
    const t0 = performance.now();
    const agent = startAgent(
      ['run', '--collector', tc.url, '--simulate', dir, '--state-dir', e2eState, '--hostname', 'backlog'],
      'info',
    );
    const started = tailStarted(agent);
    const tail = watchTail(agent);
    let peakRss = 0;
    let stored = 0;
    let doneAt = 0;
    let caughtUpAt = 0;
    for (;;) {
      const { rows } = await tc.collector.db.query<{ n: string; d: string }>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE kind = 'detection') AS d FROM events e JOIN machines m ON m.id = e.machine_id WHERE m.hostname = 'backlog'`,
      );
      stored = Number(rows[0]!.n);
      peakRss = Math.max(peakRss, procStats(agent.pid!).rssMb);
      if (caughtUpAt === 0 && tail.offset >= bytes) caughtUpAt = performance.now();
      if (Number(rows[0]!.d) >= cycles) {
        doneAt = performance.now();
        break;
      }
      if (performance.now() - t0 > 30 * 60_000) throw new Error('end to end did not finish in 30 min');
      await sleep(100);
    }
    await stopAgent(agent);
    const e2eSeconds = (doneAt - t0) / 1000;
    results.endToEnd = {
      events: stored,
      seconds: +e2eSeconds.toFixed(2),
      eventsPerSec: Math.round(stored / e2eSeconds),
      // Tail checkpoint at the end while the collector (and PostgreSQL) share this machine's cores with it.
      catchUpMbPerSecWithCollector: +(mb / ((caughtUpAt - (await started)) / 1000)).toFixed(1),
      peakRssMb: +peakRss.toFixed(1),
    };
    process.stdout.write(`end to end: ${JSON.stringify(results.endToEnd)}\n`);
  } finally {
    await wsus.close();
    await tc.close();
    await rm(root, { recursive: true, force: true });
  }
  if (ONLY !== '') return;
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(
    fileURLToPath(new URL('./results/agent.json', import.meta.url)),
    JSON.stringify(results, null, 2) + '\n',
  );
  process.stdout.write('wrote bench/results/agent.json\n');
}

/** A URL on 127.0.0.1 where nothing listens: a port the OS handed out and that was closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

interface CatchUpRun {
  /** Spawn to the tail checkpoint at the end. */
  seconds: number;
  /** The agent's "running in log mode" line to the tail checkpoint at the end. */
  tailSeconds: number;
  peakRss: number;
}

/**
 * Catches up on `dir`'s log `CATCH_UP_RUNS` times, each a fresh agent (own state directory) with the collector out of
 * reach, so the figure is the agent's work alone: read, parse, spool with fsync, checkpoint. The ceilings (plain read
 * + split, and read + parse in-process) are measured on the same file between the runs.
 */
async function catchUpRuns(
  dir: string,
  bytes: number,
): Promise<{ runs: CatchUpRun[]; ceiling: number; parseCeiling: number; coldParseCeiling: number }> {
  const ceilings: number[] = [];
  const parses: number[] = [];
  const coldParses: number[] = [];
  const runs: CatchUpRun[] = [];
  const url = await closedPortUrl();
  for (let i = 0; i < CATCH_UP_RUNS; i++) {
    ceilings.push(await ceilingMbPerSec(join(dir, 'WindowsUpdate.log'), bytes));
    parses.push(await parseMbPerSec(join(dir, 'WindowsUpdate.log'), bytes));
    coldParses.push(coldParseMbPerSec(join(dir, 'WindowsUpdate.log'), bytes));
    const state = join(dir, `state-${i}`);
    await writeCredentials(state, { agentId: 'bench', token: 'bench', collectorUrl: url });
    const t0 = performance.now();
    const agent = startAgent(['run', '--collector', url, '--simulate', dir, '--state-dir', state], 'info');
    const started = tailStarted(agent);
    const tail = watchTail(agent);
    let peakRss = 0;
    for (;;) {
      await sleep(20);
      peakRss = Math.max(peakRss, procStats(agent.pid!).rssMb);
      if (tail.offset >= bytes) break;
      if (performance.now() - t0 > 10 * 60_000) throw new Error(`${dir}: catch-up did not finish in 10 min`);
    }
    const done = performance.now();
    runs.push({ seconds: (done - t0) / 1000, tailSeconds: (done - (await started)) / 1000, peakRss });
    await stopAgent(agent);
  }
  return { runs, ceiling: median(ceilings), parseCeiling: median(parses), coldParseCeiling: median(coldParses) };
}

/**
 * Catch-up figures, medians over the runs. Speed is taken from the tail's start (the agent's "running in log mode"
 * line) to the checkpoint reaching the end, and compared with reading + parsing the same file ("parse speed"; warm
 * in this process, cold in a fresh one) and with plain reading + line splitting; the process start is reported on
 * its own.
 */
function catchUpFigures(
  mb: number,
  { runs, ceiling, parseCeiling, coldParseCeiling }: Awaited<ReturnType<typeof catchUpRuns>>,
): Record<string, unknown> {
  const tailSeconds = median(runs.map((r) => r.tailSeconds));
  const mbPerSec = mb / tailSeconds;
  return {
    backlogMb: +mb.toFixed(1),
    runs: runs.length,
    tailSecondsMedian: +tailSeconds.toFixed(2),
    tailSecondsEach: runs.map((r) => +r.tailSeconds.toFixed(2)),
    processStartSecondsMedian: +median(runs.map((r) => r.seconds - r.tailSeconds)).toFixed(2),
    mbPerSec: +mbPerSec.toFixed(1),
    parseCeilingMbPerSecMedian: +parseCeiling.toFixed(1),
    ratioToParse: +(mbPerSec / parseCeiling).toFixed(3),
    coldParseCeilingMbPerSecMedian: +coldParseCeiling.toFixed(1),
    ratioToColdParse: +(mbPerSec / coldParseCeiling).toFixed(3),
    readCeilingMbPerSecMedian: +ceiling.toFixed(1),
    ratioToRead: +(mbPerSec / ceiling).toFixed(3),
    peakRssMb: +Math.max(...runs.map((r) => r.peakRss)).toFixed(1),
  };
}

main().catch((err) => {
  process.stderr.write(`bench:agent failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
