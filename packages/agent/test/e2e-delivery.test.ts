// Delivery guarantees end to end: collector outages, agent crashes, bad credentials. All on 127.0.0.1.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../../collector/src/config/load.js';
import { startCollector } from '../../collector/src/server.js';
import { createEmptyTestDatabase, silentLog } from '../../collector/test/helpers/db.js';
import { api, enrollAgent, startTestCollector } from '../../collector/test/helpers/collector.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { appendLog, cycle, cycles, makeSimDir, startSimAgent, waitFor } from './helpers/sim.js';
import { readTailCursor } from '../src/runtime/tail-cursor.js';

const AGENT_MAIN = fileURLToPath(new URL('./fixtures/run/agent-main.ts', import.meta.url));
const today = new Date().toISOString().slice(0, 10);

async function eventStats(
  databaseUrl: string,
  agentId: string,
): Promise<{ count: number; maxSeq: number; detections: number; distinctLines: number }> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ count: string; max: string | null; detections: string; lines: string }>(
      `SELECT count(*) AS count, max(seq) AS max,
         count(*) FILTER (WHERE kind = 'detection') AS detections,
         count(DISTINCT data->>'attemptKey') FILTER (WHERE kind = 'detection') AS lines
       FROM events WHERE agent_id = $1`,
      [agentId],
    );
    const r = rows[0]!;
    return {
      count: Number(r.count),
      maxSeq: Number(r.max ?? 0),
      detections: Number(r.detections),
      distinctLines: Number(r.lines),
    };
  } finally {
    await c.end();
  }
}

test.serial(
  'collector down for a while: events are spooled, then delivered exactly once when it is back',
  async (t) => {
    const database = await createEmptyTestDatabase();
    const adminToken = 'admin-' + 'x'.repeat(30);
    const cfg = (port: number) =>
      loadConfig({
        env: {},
        overrides: { host: '127.0.0.1', port, databaseUrl: database.url, adminToken, logLevel: 'silent' },
      });
    let collector = await startCollector(cfg(0), silentLog);
    const port = collector.port;
    const wsus = await startWsusStandin('503');
    const root = await mkdtemp(join(tmpdir(), 'wuwatch-outage-'));
    try {
      const creds = await enrollAgent({ url: collector.url, adminToken }, 'srv-outage');
      const dir = await makeSimDir(root, 'srv-outage', wsus.url, cycles(today, 0, 9, wsus.url, '0x80244022'));
      const agent = await startSimAgent(dir, collector.url, creds, 'srv-outage');
      await waitFor(
        () => (agent.spoolStats.pending === 0 && agent.spoolStats.lastSeq > 10 ? true : undefined),
        20_000,
        'first delivery',
      );
      await collector.close();
      await appendLog(dir, cycles(today, 10, 59, wsus.url, '0x80244022'));
      await waitFor(
        () => (agent.spoolStats.pending >= 50 ? true : undefined),
        20_000,
        'events spooled while the collector is down',
      );
      collector = await startCollector(cfg(port), silentLog);
      await waitFor(
        () => (agent.spoolStats.pending === 0 ? true : undefined),
        30_000,
        'delivery after the collector came back',
      );
      const stats = await eventStats(database.url, creds.agentId);
      t.is(stats.count, agent.spoolStats.lastSeq, 'every seq stored once, no gap');
      t.is(stats.maxSeq, agent.spoolStats.lastSeq);
      t.is(stats.detections, 60);
      t.is(stats.distinctLines, 60);
      await agent.stop(1000);
    } finally {
      await collector.close();
      await wsus.close();
      await database.drop();
      await rm(root, { recursive: true, force: true });
    }
  },
);

const children = new Set<ChildProcess>();

// A test that fails half-way (or a run that times out) must not leave its agent process running after it.
function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}
test.afterEach.always(killChildren);
process.once('exit', killChildren);

/** Starts the agent CLI from source; stderr is collected (an unread pipe would block the child when full). */
function runAgentProcess(args: string[]): ChildProcess & { stderrText: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=wuwatch-source', '--import', 'tsx', AGENT_MAIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, WUWATCH_LOG_LEVEL: 'silent' },
  });
  let text = '';
  child.stderr.on('data', (d) => (text = (text + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  children.add(child);
  return Object.assign(child, { stderrText: () => text, exited });
}

test.serial('agent SIGKILLed mid-batch and restarted: no gap, no duplicate, every cycle counted once', async (t) => {
  const tc = await startTestCollector();
  const wsus = await startWsusStandin('503');
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-kill-'));
  try {
    const creds = await enrollAgent(tc, 'srv-kill');
    const total = 15_000;
    const dir = await makeSimDir(root, 'srv-kill', wsus.url, cycles(today, 0, total - 1, wsus.url, '0x80244022'));
    const { writeCredentials } = await import('../src/enroll/credentials.js');
    await writeCredentials(join(dir, 'state'), { ...creds, collectorUrl: tc.url });
    const args = ['run', '--collector', tc.url, '--simulate', dir, '--hostname', 'srv-kill'];
    let child = runAgentProcess(args);
    await waitFor(
      async () => ((await eventStats(tc.databaseUrl, creds.agentId)).count > 2000 ? true : undefined),
      60_000,
      'first batches',
    );
    child.kill('SIGKILL');
    await child.exited;
    const atKill = await eventStats(tc.databaseUrl, creds.agentId);
    t.true(atKill.detections < total, 'killed before everything was delivered');
    child = runAgentProcess(args);
    let last: unknown = null;
    const done = await waitFor(
      async () => {
        const s = await eventStats(tc.databaseUrl, creds.agentId);
        last = s;
        return s.distinctLines === total ? s : undefined;
      },
      90_000,
      'all cycles delivered after restart',
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; last: ${JSON.stringify(last)}; agent stderr: ${child.stderrText().slice(-2000)}`,
      );
    });
    t.is(done.count, done.maxSeq, 'seqs are contiguous: no gap');
    t.is(done.distinctLines, total);
    // The tail re-reads the chunks it was handing over at the kill; what of them had reached the spool is
    // recognised on restart and not spooled again.
    t.is(done.detections, total, 'no cycle reported twice');
    const m = await api<{ items: { consecutive_detection_failures: number }[] }>(tc, 'GET', '/v1/machines?q=srv-kill');
    t.is(m.body.items[0]!.consecutive_detection_failures, total);
    child.kill('SIGTERM');
    await child.exited;
  } finally {
    await tc.close();
    await wsus.close();
    await rm(root, { recursive: true, force: true });
  }
});

test.serial(
  'agent SIGKILLed while a detection cycle is open: after the restart that cycle is reported once, whole',
  async (t) => {
    const tc = await startTestCollector();
    const wsus = await startWsusStandin('503');
    const root = await mkdtemp(join(tmpdir(), 'wuwatch-open-'));
    try {
      const creds = await enrollAgent(tc, 'srv-open');
      // Three whole cycles, then the first three lines of a fourth (START, ServiceID, Server URL): the tail reads
      // them and checkpoints past them while the cycle is still open in the parser.
      const whole = cycles(today, 0, 2, wsus.url, '0x80244022');
      const fourth = cycle(today, 3, wsus.url, '0x80244022').split('\r\n');
      const dir = await makeSimDir(root, 'srv-open', wsus.url, whole + fourth.slice(0, 3).join('\r\n') + '\r\n');
      const { writeCredentials } = await import('../src/enroll/credentials.js');
      await writeCredentials(join(dir, 'state'), { ...creds, collectorUrl: tc.url });
      const args = ['run', '--collector', tc.url, '--simulate', dir, '--hostname', 'srv-open'];
      const size = (await stat(join(dir, 'WindowsUpdate.log'))).size;
      let child = runAgentProcess(args);
      const saved = await waitFor(
        async () => {
          const cp = await readTailCursor(join(dir, 'state'));
          const s = await eventStats(tc.databaseUrl, creds.agentId);
          return cp?.position.offset === size && s.detections === 3 ? cp : undefined;
        },
        30_000,
        'checkpoint past the open cycle',
      );
      t.like(saved.parser, { lineNo: 3 * 6 + 3, detection: { open: [{ finding: { caller: 'AutomaticUpdates' } }] } });
      child.kill('SIGKILL');
      await child.exited;
      await appendLog(dir, fourth.slice(3).join('\r\n'));
      child = runAgentProcess(args);
      const done = await waitFor(
        async () => {
          const s = await eventStats(tc.databaseUrl, creds.agentId);
          return s.detections === 4 ? s : undefined;
        },
        30_000,
        'the open cycle delivered after the restart',
      );
      t.is(done.distinctLines, 4);
      const c = new pg.Client({ connectionString: tc.databaseUrl });
      await c.connect();
      try {
        const { rows } = await c.query<{ data: Record<string, unknown> }>(
          `SELECT data FROM events WHERE agent_id = $1 AND kind = 'detection' ORDER BY (data->>'line')::int`,
          [creds.agentId],
        );
        // Whole: started before the kill, ended after it, with its absolute line number and server URL.
        t.like(rows[3]!.data, {
          line: 19,
          outcome: 'failed',
          hresult: '0x80244022',
          serverUrl: `${wsus.url}/ClientWebService/client.asmx`,
        });
      } finally {
        await c.end();
      }
      child.kill('SIGTERM');
      await child.exited;
    } finally {
      await tc.close();
      await wsus.close();
      await rm(root, { recursive: true, force: true });
    }
  },
);

test.serial(
  'a wrong enrollment secret exits with a clear error; a dead collector is retried with backoff, never in a tight loop',
  async (t) => {
    const tc = await startTestCollector();
    const root = await mkdtemp(join(tmpdir(), 'wuwatch-bad-'));
    try {
      const dir = await makeSimDir(root, 'srv-bad', 'http://127.0.0.1:9', '');
      const bad = runAgentProcess(['run', '--collector', tc.url, '--enroll-secret', 'wwe_wrong', '--simulate', dir]);
      const code = await bad.exited;
      t.is(code, 2);
      t.regex(bad.stderrText(), /enrollment secret is unknown or revoked/);

      // A port that accepts TCP and closes at once: count how often the agent tries.
      let attempts = 0;
      const server = createServer((s) => {
        attempts++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { writeCredentials } = await import('../src/enroll/credentials.js');
      await writeCredentials(join(dir, 'state'), { agentId: 'agt_x', token: 'wwa_x', collectorUrl: url });
      const child = runAgentProcess(['run', '--collector', url, '--simulate', dir]);
      await new Promise((r) => setTimeout(r, 6000));
      t.is(child.exitCode, null, 'the agent keeps running while the collector is unreachable');
      child.kill('SIGTERM');
      await child.exited;
      server.close();
      t.true(attempts >= 2, `it retries (${attempts} attempts)`);
      t.true(attempts <= 8, `with backoff, not in a tight loop (${attempts} attempts in 6 s)`);
    } finally {
      await tc.close();
      await rm(root, { recursive: true, force: true });
    }
  },
);
