/**
 * The ceiling: the same rows the agents sent, streamed with one raw `COPY … FROM STDIN` into the same events table
 * (same indexes, same constraints), with no protocol, validation, projection or acknowledgement around it.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { WireEvent } from '@wuwatch/core';
import { cpuSecondsOf } from './stats.js';

/** Which events to copy: for each agent, seqs 1..total built by makeEvent. */
export interface CopySource {
  agents: { agentId: string; machineId: string }[];
  total: number;
  makeEvent: (seq: number) => WireEvent;
}

function escape(v: string): string {
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function* lines(src: CopySource, chunkRows = 500): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const a of src.agents) {
    for (let seq = 1; seq <= src.total; seq++) {
      const e = src.makeEvent(seq);
      chunk += `${a.agentId}\t${a.machineId}\t${seq}\t${e.time}\t${e.kind}\t${escape(JSON.stringify(e.data))}\n`;
      if (++n === chunkRows) {
        yield chunk;
        chunk = '';
        n = 0;
      }
    }
  }
  if (chunk) yield chunk;
}

/** Streams every row in one COPY and returns rows/s. */
export async function copyCeiling(
  pool: pg.Pool,
  src: CopySource,
): Promise<{ rows: number; seconds: number; rowsPerSec: number; postgresCpuSeconds: number }> {
  const client = await pool.connect();
  try {
    // The COPY runs in this connection's backend (constraint checks included), so its CPU is the ceiling's cost.
    const { rows: me } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = me[0]!.pid;
    const cpu0 = cpuSecondsOf(backend);
    const started = performance.now();
    const stream = client.query(copyFrom('COPY events (agent_id, machine_id, seq, "time", kind, data) FROM STDIN'));
    await pipeline(Readable.from(lines(src)), stream);
    const seconds = (performance.now() - started) / 1000;
    const rows = src.agents.length * src.total;
    return { rows, seconds, rowsPerSec: rows / seconds, postgresCpuSeconds: cpuSecondsOf(backend) - cpu0 };
  } finally {
    client.release();
  }
}
