// Runs the collector fixture (test/fixtures/collector/child.ts) as a child process: it can be SIGKILLed like a real
// crash, restarted on the same database and port, and its RSS read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../fixtures/collector/child.ts', import.meta.url));

/** A collector running in a child process. */
export interface ChildCollector {
  url: string;
  wsUrl: string;
  port: number;
  pid: number;
  proc: ChildProcess;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<number | string>;
  /** Last lines the child wrote to stderr (its logs), for failure messages. */
  stderrTail(): string;
  /** Current and peak resident set size in bytes (Linux /proc). */
  memory(): { rss: number; peakRss: number };
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown) and wait for the exit. */
  stop(): Promise<void>;
}

function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Starts the collector fixture with `env` (DATABASE_URL, WUWATCH_PORT, …) and config `overrides`. */
export async function spawnCollector(
  env: Record<string, string>,
  overrides: Record<string, unknown> = {},
  opts: { startTimeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<ChildCollector> {
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  // nodeArgs: e.g. ['--cpu-prof'] to profile the collector under the benchmark.
  const args = [...(opts.nodeArgs ?? []), '--conditions=wuwatch-source', '--import', 'tsx', CHILD];
  const proc = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...env,
      WUWATCH_TEST_OVERRIDES: JSON.stringify(overrides),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  createInterface({ input: proc.stderr! }).on('line', (l) => {
    tail.push(l);
    if (tail.length > 30) tail.shift();
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const first = await new Promise<{ url: string; port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${tail.join('\n')}`)), startTimeoutMs);
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; port: number; pid: number });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited (${code}) before listening:\n${tail.join('\n')}`));
    });
  });
  return {
    ...first,
    wsUrl: first.url.replace(/^http/, 'ws') + '/v1/agent',
    proc,
    exited,
    stderrTail: () => tail.join('\n'),
    memory: () => ({ rss: procStatusBytes(first.pid, 'VmRSS'), peakRss: procStatusBytes(first.pid, 'VmHWM') }),
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
