/** Small statistics and sampling helpers for the benchmarks. */
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** The p-th percentile (0–100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Rounds to `digits` decimals (for readable JSON). */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Bytes as MiB, rounded. */
export const mib = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** Resident set size of a process in bytes (Linux /proc); 0 once it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}

/** This process's open-file limit (soft), from /proc/self/limits. */
export function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/** CPU time (user + system) of a process in seconds (Linux /proc); 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Backend pids serving `pool`'s database, plus the WAL writer, checkpointer and background writer. */
async function postgresPids(pool: pg.Pool): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
  );
  return rows.map((r) => r.pid);
}

/**
 * CPU used by the collector, by PostgreSQL for this database, and by this process over a measured window. PostgreSQL
 * is counted per backend (other work on the machine uses the same server); a backend that appears during the window
 * counts from zero.
 */
export async function cpuMeter(
  collectorPid: number,
  pool: pg.Pool,
): Promise<{ stop(): Promise<{ collector: number; postgres: number; driver: number }> }> {
  const c0 = cpuSecondsOf(collectorPid);
  const p0 = new Map((await postgresPids(pool)).map((pid) => [pid, cpuSecondsOf(pid)]));
  const d0 = process.cpuUsage();
  return {
    async stop() {
      const d = process.cpuUsage(d0);
      const collector = cpuSecondsOf(collectorPid) - c0;
      let postgres = 0;
      for (const pid of await postgresPids(pool)) postgres += cpuSecondsOf(pid) - (p0.get(pid) ?? 0);
      return {
        collector: round(collector, 2),
        postgres: round(postgres, 2),
        driver: round((d.user + d.system) / 1e6, 2),
      };
    },
  };
}
