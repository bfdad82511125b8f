/**
 * Throughput of the streaming WindowsUpdate.log parser against plain newline splitting of the same bytes, two ways:
 *
 * - warm, in process: >= 200 MB of generated legacy and modern log text in memory, fed in 64 KiB chunks (split
 *   mid-line, as a file read would), after a warm-up; median MB/s of 5 runs, ratio to the baseline, peak RSS growth.
 * - cold, one process per run, as an operator (or an independent check) runs it: `wuwatch-agent parse-log FILE`
 *   against a fresh `node` that reads the same FILE and splits it into lines, over files on disk: the generated
 *   legacy and modern text, and a mix of the repository's real excerpts (packages/core/test/fixtures: pasted,
 *   indented, Windows-1252, BOM, CRLF) repeated to size. Process start-up, the module graph, JIT warm-up, the
 *   file read and parse-log's NDJSON output are all in it; the time is the child's CPU time (user + system, what
 *   a loaded machine disturbs least), wall time beside it.
 *
 * The warm figure is given twice: with records built for every line (`onRecord`, what `parse-log --records` does) and
 * findings only (what `parse-log` and the agent's tail do: lines no matcher wants are skipped unbuilt).
 *
 * Why an independent cold run measured less than this bench's warm ratio (issue 15: 0.40–0.44× against 0.51×),
 * profiled with `node --cpu-prof`, `perf` and V8's --trace-opt on `parse-log` of the generated and public logs:
 * - start-up: the CLI's entry imported the agent runtime and the whole core with every zod schema, ~0.15 s of CPU
 *   before the first byte was read (now it imports only `@wuwatch/core/wulog/stream`, which loads no zod);
 * - reading: a read stream left the process idle between chunks (now one synchronous read into a reused buffer);
 * - output: one write per NDJSON line (now 64 KiB blocks);
 * - TurboFan: a warm parse runs several times faster than a cold process's first pass, and the compiler threads
 *   used as much CPU as the parse itself, most of it inlining small helpers into every hot caller; `parse-log` turns
 *   inlining off for its one pass (parse-log.ts), which halves the compile time and keeps the warm speed;
 * - records built for lines no matcher takes: a prefix such as `Get`/`Ser`/`Ski` is shared by many everyday lines of
 *   a modern log; those are now skipped unbuilt (prefixes.ts WORDS).
 * Both ratios are reported, CPU (what a loaded machine disturbs least) and wall (what an operator's stopwatch sees),
 * per class of file: the generated logs, public logs (BENCH_PARSE_FILES, see the README) and the concentrate of the
 * repository's excerpts, a stress case with a finding every 14 lines.
 * Run: node --import tsx bench/parse.ts   (writes bench/results/parse.json; needs `npm run build` for parse-log)
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WuLogParser } from '../packages/core/src/wulog/index.js';
import { generate } from './parse-data.js';

const MB = 1024 * 1024;
const TARGET_BYTES_PER_FORMAT = 110 * MB;
const CHUNK = 64 * 1024;
const RUNS = 5;
const RSS_SAMPLE_EVERY = 16; // chunks (1 MiB)

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function chunks(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; off += CHUNK) out.push(buf.subarray(off, off + CHUNK));
  return out;
}

// ---------------------------------------------------------------------------------------------------- measurement
interface RunResult {
  ms: number;
  /** CPU time of the process (user + system): less disturbed by other load on the machine than wall time. */
  cpuMs: number;
  lines: number;
  findings: number;
  peakRss: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The streaming parser with a counting sink: records and findings are produced and dropped. */
function runParser(input: Buffer[]): RunResult {
  let lines = 0;
  let findings = 0;
  let textChars = 0;
  let peakRss = process.memoryUsage.rss();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const parser = new WuLogParser({
    onRecord: (r) => {
      lines++;
      textChars += r.text.length;
    },
    onFinding: () => {
      findings++;
    },
  });
  for (let i = 0; i < input.length; i++) {
    parser.push(input[i]!);
    if (i % RSS_SAMPLE_EVERY === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  parser.end();
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  if (textChars === 0) throw new Error('parser produced no text');
  return { ms, cpuMs, lines, findings, peakRss };
}

/** The parser as `parse-log` and the agent's tail run it: findings only (lines no matcher wants are never built). */
function runFindingsOnly(input: Buffer[]): RunResult {
  let findings = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const parser = new WuLogParser({
    onFinding: () => {
      findings++;
    },
  });
  for (let i = 0; i < input.length; i++) parser.push(input[i]!);
  parser.end();
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  if (findings === 0) throw new Error('parser found nothing');
  return { ms, cpuMs, lines: 0, findings, peakRss: 0 };
}

/** Baseline: split on 0x0a with indexOf and decode each line with toString, nothing else. */
function runBaseline(input: Buffer[]): RunResult {
  let lines = 0;
  let chars = 0;
  let carry: Buffer | null = null;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const chunk of input) {
    let start = 0;
    let lf = chunk.indexOf(0x0a);
    if (carry !== null && lf >= 0) {
      chars += Buffer.concat([carry, chunk.subarray(0, lf)]).toString('utf8').length;
      lines++;
      carry = null;
      start = lf + 1;
      lf = chunk.indexOf(0x0a, start);
    }
    while (lf >= 0) {
      chars += chunk.toString('utf8', start, lf).length;
      lines++;
      start = lf + 1;
      lf = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length)
      carry = carry === null ? Buffer.from(chunk.subarray(start)) : Buffer.concat([carry, chunk.subarray(start)]);
  }
  if (carry !== null) {
    chars += carry.toString('utf8').length;
    lines++;
  }
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(c0);
  if (chars === 0) throw new Error('baseline produced no text');
  return { ms, cpuMs, lines, findings: 0, peakRss: 0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ------------------------------------------------------------------------------------------------ cold processes
const COLD_RUNS = 5;
const COLD_GENERATED_BYTES = 60 * MB;
const COLD_REAL_BYTES = 30 * MB;
const repo = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** The baseline of the cold runs: a fresh node that reads the file in 64 KiB chunks and splits and decodes lines. */
const SPLIT_SCRIPT = `import { createReadStream } from 'node:fs';
let lines = 0, chars = 0, carry = null;
for await (const chunk of createReadStream(process.argv[2])) {
  let start = 0;
  let lf = chunk.indexOf(10);
  if (carry !== null && lf >= 0) { chars += Buffer.concat([carry, chunk.subarray(0, lf)]).toString('utf8').length; lines++; carry = null; start = lf + 1; lf = chunk.indexOf(10, start); }
  while (lf >= 0) { chars += chunk.toString('utf8', start, lf).length; lines++; start = lf + 1; lf = chunk.indexOf(10, start); }
  if (start < chunk.length) carry = carry === null ? Buffer.from(chunk.subarray(start)) : Buffer.concat([carry, chunk.subarray(start)]);
}
if (carry !== null) { chars += carry.toString('utf8').length; lines++; }
if (chars === 0) process.exit(3);
`;
/** Preloaded into both children: writes the process's own CPU time to fd 3 when it exits. */
const CPU_REPORTER = `import { writeSync } from 'node:fs';
process.on('exit', () => { const u = process.cpuUsage(); writeSync(3, String((u.user + u.system) / 1000)); });
`;

/** The repository's real excerpts (every .log under the core fixtures), each ending with a newline, repeated. */
function realMix(bytes: number): Buffer {
  const dirs = ['fixtures/shared/wulog/real', 'fixtures/shared/wulog/pasted', 'fixtures/wild', 'fixtures/wulog'];
  const parts: Buffer[] = [];
  for (const dir of dirs) {
    const abs = repo(`packages/core/test/${dir}/`);
    for (const name of readdirSync(abs).sort()) {
      if (!name.endsWith('.log')) continue;
      const b = readFileSync(abs + name);
      parts.push(b, ...(b[b.length - 1] === 0x0a ? [] : [Buffer.from('\n')]));
    }
  }
  const one = Buffer.concat(parts);
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / one.length) }, () => one));
}

/** Lines and findings of a file (in process, findings only): how dense in findings the file is. */
function findingDensity(bytes: Buffer): { lines: number; findings: number } {
  let findings = 0;
  const parser = new WuLogParser({ onFinding: () => findings++ });
  parser.push(bytes);
  parser.end();
  let lines = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) lines++;
  return { lines, findings };
}

interface ColdRun {
  wallMs: number;
  /** CPU time of the whole child (see {@link CPU_METHOD}). */
  cpuMs: number;
  /** CPU time the child read of itself in its exit hook (teardown not included). */
  cpuMsAtExit: number;
}

/**
 * GNU time, when the machine has it: the child's whole CPU time (user + system from wait4), process teardown
 * included, as an independent `time parse-log FILE` sees it. The exit hook misses the teardown, which frees a larger
 * heap for `parse-log` than for the split (about 0.04 of the ratio on the generated logs).
 */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
/** How {@link ColdRun.cpuMs} was measured (in the results). */
const CPU_METHOD =
  GNU_TIME === null
    ? 'exit hook (user + system at process exit, teardown not included)'
    : '/usr/bin/time (whole process, 10 ms resolution)';

function runCold(args: string[], reporter: string, resultFile: string): ColdRun {
  const timeFile = `${reporter}.time`;
  const command = [process.execPath, '--import', reporter, ...args];
  const t0 = performance.now();
  const r =
    GNU_TIME === null
      ? spawnSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'inherit', 'pipe'], maxBuffer: 1024 })
      : spawnSync(GNU_TIME, ['-f', '%U %S', '-o', timeFile, ...command], {
          stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
          maxBuffer: 1024,
        });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}`);
  const atExit = Number(String(r.output[3] ?? ''));
  if (!(atExit > 0)) throw new Error(`no CPU time from ${args.join(' ')} (${resultFile})`);
  if (GNU_TIME === null) return { wallMs, cpuMs: atExit, cpuMsAtExit: atExit };
  const [user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  const whole = (user! + system!) * 1000;
  if (!(whole >= 0)) throw new Error(`unreadable ${GNU_TIME} output for ${args.join(' ')} (${resultFile})`);
  return { wallMs, cpuMs: whole, cpuMsAtExit: atExit };
}

/**
 * Public WindowsUpdate.log files to add to the cold comparison: `BENCH_PARSE_FILES`, paths separated by commas (the
 * README's Parse speed section names the nine public logs measured for issue 15 and where to get them; they are not
 * the project's to redistribute, so they are not in the repository).
 */
function publicLogs(): [string, Buffer][] {
  const list = process.env.BENCH_PARSE_FILES;
  if (list === undefined || list.trim() === '') return [];
  return list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p): [string, Buffer] => [p.replace(/^.*[\\/]/, ''), readFileSync(p)]);
}

/** Which kind of input a file is; each kind gets its own ratio (their lines per finding differ by an order). */
type FileClass = 'generated' | 'public' | 'concentrate';

/** Cold parse-log vs cold plain split on files on disk; alternating, median of {@link COLD_RUNS}. */
function coldComparison(legacy: Buffer, modern: Buffer) {
  const agent = repo('packages/agent/bin/wuwatch-agent.js');
  if (!existsSync(repo('packages/agent/dist/bundle/wuwatch-agent.mjs'))) {
    throw new Error('the agent bundle is missing: run `npm run build` first');
  }
  const dir = mkdtempSync(join(tmpdir(), 'wuwatch-bench-parse-'));
  try {
    const split = join(dir, 'split.mjs');
    const reporter = join(dir, 'cpu.mjs');
    writeFileSync(split, SPLIT_SCRIPT);
    writeFileSync(reporter, CPU_REPORTER);
    const pub = publicLogs();
    const files: [string, Buffer, FileClass][] = [
      ['generated-legacy.log', legacy.subarray(0, COLD_GENERATED_BYTES), 'generated'],
      ['generated-modern.log', modern.subarray(0, COLD_GENERATED_BYTES), 'generated'],
      ...pub.map(([name, bytes]): [string, Buffer, FileClass] => [name, bytes, 'public']),
      // The public logs as one file too: the same lines, with less of the run spent starting a process.
      ...(pub.length > 1
        ? [['public-logs-together.log', Buffer.concat(pub.map(([, b]) => b)), 'public'] as [string, Buffer, FileClass]]
        : []),
      ['real-mix.log', realMix(COLD_REAL_BYTES), 'concentrate'],
    ];
    // Start-up alone: each command on a one-line file (the bundle's module graph vs a bare script).
    const empty = join(dir, 'one-line.log');
    writeFileSync(empty, 'x\n');
    const startP: ColdRun[] = [];
    const startB: ColdRun[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      startP.push(runCold([agent, 'parse-log', empty], reporter, 'one-line.log'));
      startB.push(runCold([split, empty], reporter, 'one-line.log'));
    }
    const startup = {
      parseLog: {
        cpuMs: round(median(startP.map((x) => x.cpuMs))),
        wallMs: round(median(startP.map((x) => x.wallMs))),
      },
      split: { cpuMs: round(median(startB.map((x) => x.cpuMs))), wallMs: round(median(startB.map((x) => x.wallMs))) },
    };
    const rows = [];
    const sums = new Map<FileClass, { parserCpu: number; splitCpu: number; parserWall: number; splitWall: number }>();
    for (const [name, bytes, kind] of files) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const p: ColdRun[] = [];
      const b: ColdRun[] = [];
      for (let i = 0; i < COLD_RUNS; i++) {
        p.push(runCold([agent, 'parse-log', path], reporter, name));
        b.push(runCold([split, path], reporter, name));
      }
      const pc = median(p.map((x) => x.cpuMs));
      const bc = median(b.map((x) => x.cpuMs));
      const pw = median(p.map((x) => x.wallMs));
      const bw = median(b.map((x) => x.wallMs));
      const pe = median(p.map((x) => x.cpuMsAtExit));
      const be = median(b.map((x) => x.cpuMsAtExit));
      // The files joined into one are not counted twice in their class's ratio.
      if (name !== 'public-logs-together.log') {
        const sum = sums.get(kind) ?? { parserCpu: 0, splitCpu: 0, parserWall: 0, splitWall: 0 };
        sum.parserCpu += pc;
        sum.splitCpu += bc;
        sum.parserWall += pw;
        sum.splitWall += bw;
        sums.set(kind, sum);
      }
      const density = findingDensity(bytes);
      rows.push({
        file: name,
        class: kind,
        megabytes: round(statSync(path).size / 1e6),
        lines: density.lines,
        findings: density.findings,
        linesPerFinding: round(density.lines / Math.max(1, density.findings)),
        parseLog: { cpuMs: round(pc), cpuMsAtExit: round(pe), wallMs: round(pw) },
        split: { cpuMs: round(bc), cpuMsAtExit: round(be), wallMs: round(bw) },
        ratio: { cpu: round(bc / pc, 3), cpuAtExit: round(be / pe, 3), wall: round(bw / pw, 3) },
      });
    }
    const ratioByClass = Object.fromEntries(
      [...sums].map(([kind, x]) => [
        kind,
        { cpu: round(x.splitCpu / x.parserCpu, 3), wall: round(x.splitWall / x.parserWall, 3) },
      ]),
    ) as Partial<Record<FileClass, { cpu: number; wall: number }>>;
    return { runs: COLD_RUNS, cpuMethod: CPU_METHOD, startup, files: rows, ratio: ratioByClass };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function main(): void {
  const loadAtStart = loadavg().map((x) => round(x, 2));
  const t0 = performance.now();
  const legacy = generate(false, TARGET_BYTES_PER_FORMAT);
  const modern = generate(true, TARGET_BYTES_PER_FORMAT);
  const formats = { legacy: chunks(legacy), modern: chunks(modern) };
  const totalBytes = legacy.length + modern.length;
  console.log(
    `generated ${round(legacy.length / MB)} MiB legacy + ${round(modern.length / MB)} MiB modern in ${round((performance.now() - t0) / 1000)} s`,
  );

  // Warm up both paths so the JIT has settled before timing.
  runParser(formats.legacy.slice(0, 200));
  runParser(formats.modern.slice(0, 200));
  runBaseline(formats.legacy.slice(0, 200));

  gc();
  const rssBefore = process.memoryUsage.rss();
  type Times = Record<'legacy' | 'modern', { wall: number[]; cpu: number[] }>;
  const empty = (): Times => ({ legacy: { wall: [], cpu: [] }, modern: { wall: [], cpu: [] } });
  const parserTimes = empty();
  const findingsOnlyTimes = empty();
  const baselineTimes = empty();
  let peakRss = rssBefore;
  let lines = 0;
  let findings = 0;
  // Parser and baseline alternate, so load from other processes on the machine hits both alike.
  for (let run = 0; run < RUNS; run++) {
    for (const name of ['legacy', 'modern'] as const) {
      const p = runParser(formats[name]);
      parserTimes[name].wall.push(p.ms);
      parserTimes[name].cpu.push(p.cpuMs);
      peakRss = Math.max(peakRss, p.peakRss);
      if (run === 0) {
        lines += p.lines;
        findings += p.findings;
      }
      const f = runFindingsOnly(formats[name]);
      findingsOnlyTimes[name].wall.push(f.ms);
      findingsOnlyTimes[name].cpu.push(f.cpuMs);
      const b = runBaseline(formats[name]);
      baselineTimes[name].wall.push(b.ms);
      baselineTimes[name].cpu.push(b.cpuMs);
    }
  }
  const rssGrowthMiB = (peakRss - rssBefore) / MB;
  const cold = coldComparison(legacy, modern);

  const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
  const bytesOf = { legacy: legacy.length, modern: modern.length };
  const perFormat = (name: 'legacy' | 'modern') => {
    const p = median(parserTimes[name].wall);
    const b = median(baselineTimes[name].wall);
    const pc = median(parserTimes[name].cpu);
    const bc = median(baselineTimes[name].cpu);
    const f = median(findingsOnlyTimes[name].wall);
    const fc = median(findingsOnlyTimes[name].cpu);
    return {
      findingsOnly: { parserMBps: round(mbps(bytesOf[name], f)), ratio: round(b / f, 3), cpuRatio: round(bc / fc, 3) },
      megabytes: round(bytesOf[name] / 1e6),
      parserMBps: round(mbps(bytesOf[name], p)),
      baselineMBps: round(mbps(bytesOf[name], b)),
      ratio: round(b / p, 3),
      cpu: {
        parserMBps: round(mbps(bytesOf[name], pc)),
        baselineMBps: round(mbps(bytesOf[name], bc)),
        ratio: round(bc / pc, 3),
      },
    };
  };
  const sum = (t: Times, k: 'wall' | 'cpu') => t.legacy[k].map((ms, i) => ms + t.modern[k][i]!);
  const parserMBps = mbps(totalBytes, median(sum(parserTimes, 'wall')));
  const baselineMBps = mbps(totalBytes, median(sum(baselineTimes, 'wall')));
  const parserCpuMBps = mbps(totalBytes, median(sum(parserTimes, 'cpu')));
  const findingsOnlyMBps = mbps(totalBytes, median(sum(findingsOnlyTimes, 'wall')));
  const findingsOnlyCpuMBps = mbps(totalBytes, median(sum(findingsOnlyTimes, 'cpu')));
  const baselineCpuMBps = mbps(totalBytes, median(sum(baselineTimes, 'cpu')));
  const result = {
    // The machine is shared: its load disturbs wall time most, CPU time less (see the README's Parse speed section).
    note: `load average (1, 5, 15 min) at start ${loadAtStart.join(', ')}, at end ${loadavg()
      .map((x) => round(x, 2))
      .join(', ')}, on ${availableParallelism()} cores`,
    node: process.version,
    chunkBytes: CHUNK,
    runs: RUNS,
    megabytes: round(totalBytes / 1e6),
    lines,
    findings,
    parserMedianMBps: round(parserMBps),
    baselineMedianMBps: round(baselineMBps),
    ratio: round(parserMBps / baselineMBps, 3),
    cpu: {
      parserMedianMBps: round(parserCpuMBps),
      baselineMedianMBps: round(baselineCpuMBps),
      ratio: round(parserCpuMBps / baselineCpuMBps, 3),
    },
    findingsOnly: {
      parserMedianMBps: round(findingsOnlyMBps),
      ratio: round(findingsOnlyMBps / baselineMBps, 3),
      cpuRatio: round(findingsOnlyCpuMBps / baselineCpuMBps, 3),
    },
    peakRssGrowthMiB: round(rssGrowthMiB),
    perFormat: { legacy: perFormat('legacy'), modern: perFormat('modern') },
    cold,
    targets: {
      ratioAtLeast: 0.5,
      coldCpuRatioAtLeast: 0.5,
      coldWallRatioAtLeast: 0.5,
      coldClasses:
        'each class of file on its own: generated logs, public logs (when BENCH_PARSE_FILES names them), the concentrate',
      parserMBpsAtLeast: 100,
      rssGrowthMiBBelow: 50,
      met: {
        warmRecords: parserMBps / baselineMBps >= 0.5,
        warmFindingsOnly: findingsOnlyMBps / baselineMBps >= 0.5,
        cold: Object.fromEntries(
          Object.entries(cold.ratio).map(([kind, r]) => [kind, { cpu: r.cpu >= 0.5, wall: r.wall >= 0.5 }]),
        ),
        parserMBps: parserMBps >= 100,
        rss: rssGrowthMiB < 50,
      },
    },
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/parse.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

main();
