// Runs the collector fixture (test/fixtures/collector/child.ts) as a child process: it can be SIGKILLed like a real
// crash, restarted on the same database and port, and its RSS read from /proc. childCollectorDatabase runs several
// such children on one fresh database (a cluster, or one collector and its restart).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createEmptyTestDatabase } from './db.js';

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

/**
 * Kills a child collector if this test process exits first (a crashed worker skips its teardown, and an orphaned
 * collector would keep delivering notifications and holding its database).
 */
export function reapOnExit<T extends { proc: ChildProcess }>(child: T): T {
  const kill = () => child.proc.kill('SIGKILL');
  process.once('exit', kill);
  child.proc.once('exit', () => process.off('exit', kill));
  return child;
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
  createInterface({ input: proc.stderr }).on('line', (l) => {
    tail.push(l);
    if (tail.length > 30) tail.shift();
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const first = await new Promise<{ url: string; port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start:\n${tail.join('\n')}`)), startTimeoutMs);
    createInterface({ input: proc.stdout }).once('line', (line) => {
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

/** Collector children sharing one fresh database, and a pool on that database for the test's own queries. */
export interface ChildCollectorDatabase {
  pool: pg.Pool;
  /** Starts a collector child on the database (127.0.0.1, any free port), killed if the test process exits first. */
  spawn(): Promise<ChildCollector>;
  /** Stops every child spawned, ends the pool and drops the database. */
  close(): Promise<void>;
}

/** Creates an empty database on which `spawn` starts collectors with `adminToken` and config `overrides`. */
export async function childCollectorDatabase(
  adminToken: string,
  overrides: Record<string, unknown> = {},
): Promise<ChildCollectorDatabase> {
  const database = await createEmptyTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const env = {
    DATABASE_URL: database.url,
    WUWATCH_ADMIN_TOKEN: adminToken,
    WUWATCH_LOG_LEVEL: 'warn',
    WUWATCH_HOST: '127.0.0.1',
    WUWATCH_PORT: '0',
  };
  const children: ChildCollector[] = [];
  return {
    pool,
    async spawn() {
      const child = reapOnExit(await spawnCollector(env, overrides));
      children.push(child);
      return child;
    },
    async close() {
      // Stopping a child that was killed already returns at once.
      await Promise.all(children.map((c) => c.stop()));
      await pool.end();
      await database.drop();
    },
  };
}
