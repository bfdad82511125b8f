/**
 * `wuwatch-simulate`: runs a simulated fleet against a collector until Ctrl+C or `--duration`, then prints the
 * fleet as the collector sees it (with an admin token).
 */
import { parseArgs } from 'node:util';
import { isWuwatchError, makeError } from '@wuwatch/core';
import { fetchMachines, fetchSummary } from '../collector-api.js';
import { startFleet, type FleetEvent } from '../fleet/fleet.js';
import { formatCountsLine, formatStatusTable } from '../report/format.js';
import { DEFAULT_SCENARIO } from '../scenario/default.js';
import { loadScenario } from '../scenario/parse.js';
import { DEFAULT_TIME_SCALE } from '../time/scale.js';
import { progressPrinter } from './progress.js';

/** Where the CLI writes and what it reads from the environment. */
export interface SimulateIo {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Resolves when the operator asks to stop (Ctrl+C). */
  interrupted: Promise<void>;
}

const USAGE = `Usage: wuwatch-simulate --collector URL (--token ADMIN_TOKEN | --enroll-secret SECRET) [options]

Runs simulated Windows servers, each with a real wuwatch agent in simulate mode, and WSUS stand-ins on 127.0.0.1.

  --collector URL      collector base URL (WUWATCH_URL)
  --token T            admin API token: creates the enrollment secret and prints the fleet at the end (WUWATCH_TOKEN)
  --enroll-secret S    an existing enrollment secret (then nothing is read back from the API)
  --agents N           machines at the start (default: the scenario's size, 50 for the built-in one; up to 5000)
  --scenario FILE      scenario JSON (default: the built-in scenario; --print-scenario shows it)
  --duration S         stop after S seconds and print a summary (default: run until Ctrl+C)
  --time-scale X       simulated seconds per real second (default ${DEFAULT_TIME_SCALE}: a 22 h detection interval in 20 s)
  --workers N          worker processes for the agents (default: 0 up to 250 agents, then one per 750)
  --seed N             random seed of schedules (default 1)
  --log-level L        agents' log level on stderr (default silent)
  --print-scenario     print the scenario as JSON and exit
`;

const OPTIONS = {
  collector: { type: 'string' },
  token: { type: 'string' },
  'enroll-secret': { type: 'string' },
  agents: { type: 'string' },
  scenario: { type: 'string' },
  duration: { type: 'string' },
  'time-scale': { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
  'log-level': { type: 'string' },
  'print-scenario': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function num(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw makeError('CONFIG_INVALID', [`--${name} must be a number from ${min} to ${max}, not "${v}"`]);
  }
  return n;
}

function describeEvent(e: FleetEvent): string {
  switch (e.type) {
    case 'silenced':
      return `${e.hostname}: link to the collector cut (the agent goes silent, no goodbye)`;
    case 'joined':
      return `${e.hostname}: a newly built server joined the fleet (no scan yet)`;
    case 'worker_exit':
      return `a fleet worker process exited (code ${e.code})`;
  }
}

/** Runs the CLI; resolves to the exit code (0 ok, 2 usage or setup error). */
export async function main(argv: string[], io: SimulateIo = processIo()): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    if (values['print-scenario']) {
      const s = values.scenario ? await loadScenario(values.scenario) : DEFAULT_SCENARIO;
      io.stdout.write(JSON.stringify(s, null, 2) + '\n');
      return 0;
    }
    const collectorUrl = values.collector ?? io.env.WUWATCH_URL;
    const token = values.token ?? io.env.WUWATCH_TOKEN;
    const secret = values['enroll-secret'];
    if (!collectorUrl || (!token && !secret)) {
      io.stderr.write(USAGE);
      return 2;
    }
    const scenario = await loadScenario(values.scenario);
    const duration = num('duration', values.duration, 1, 7 * 24 * 3600);
    const progress = progressPrinter(io.stdout);
    let up = false; // newcomers joining later are reported as events, not as progress
    const ac = new AbortController();
    void io.interrupted.then(() => ac.abort());
    const fleet = await startFleet({
      signal: ac.signal,
      collectorUrl,
      ...(token ? { adminToken: token } : {}),
      ...(secret ? { enrollSecret: secret } : {}),
      scenario,
      agents: num('agents', values.agents, 1, 20_000),
      timeScale: num('time-scale', values['time-scale'], 1, 1_000_000),
      workers: num('workers', values.workers, 0, 64),
      seed: num('seed', values.seed, 0, 2 ** 31),
      logLevel: values['log-level'] ?? 'silent',
      onProgress: (n, total) => !up && progress.update(`fleet coming up: ${n}/${total} agents`),
      onEvent: (e) => progress.line(describeEvent(e)),
    });
    progress.done();
    up = true;
    io.stdout.write(
      `${fleet.machines.length} agents running (scenario "${scenario.name}", time scale ${fleet.timeScale}: ` +
        `one detection interval every ${(fleet.intervalMs / 1000).toFixed(1)} s); work dir ${fleet.workDir}\n`,
    );
    const ticker = token
      ? setInterval(() => {
          fetchSummary(collectorUrl, token).then(
            (s) => io.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${formatCountsLine(s)}\n`),
            () => undefined,
          );
        }, 15_000)
      : null;
    const timeout = new Promise<void>((resolve) => {
      if (duration !== undefined) setTimeout(resolve, duration * 1000).unref();
    });
    await Promise.race([io.interrupted, timeout]);
    if (ticker) clearInterval(ticker);
    if (token) {
      const summary = await fetchSummary(collectorUrl, token);
      const all = await fetchMachines(collectorUrl, token);
      const problems = all.filter((m) => m.status !== 'healthy');
      io.stdout.write('\n' + formatStatusTable({ summary, problems, expected: fleet.plan.expectedStatuses }));
    }
    io.stdout.write('stopping the fleet…\n');
    await fleet.stop();
    return 0;
  } catch (err) {
    if (isWuwatchError(err)) {
      io.stderr.write(`wuwatch-simulate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function processIo(): SimulateIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interrupted: new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
  };
}
