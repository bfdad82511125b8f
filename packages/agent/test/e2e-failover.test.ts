// Two collectors, one PostgreSQL (issue 16 item 5): real agents list both collectors, collector A is SIGKILLed under
// load, and every agent that was on A carries on with B. Nothing is lost or stored twice, and each alert reaches the
// webhook exactly once: one delivered before the kill, one queued but not yet deliverable when A died, one that fires
// after the takeover. Collectors are child processes on 127.0.0.1; the agents are the real runtime (tail → spool →
// transport) in this process.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { childCollectorDatabase, type ChildCollector } from '../../collector/test/helpers/child-collector.js';
import { startWebhookSink, waitFor } from '../../collector/test/helpers/alerts.js';
import { api } from '../../collector/test/helpers/collector.js';
import { loadAgentConfig } from '../src/config/load.js';
import { ensureEnrolled } from '../src/enroll/enroll.js';
import { createSources } from '../src/sources/index.js';
import { RecordingRunner } from '../src/platform/index.js';
import { Agent } from '../src/runtime/agent.js';
import { startWsusStandin } from './helpers/wsus-standin.js';
import { appendLog, cycle, makeSimDir } from './helpers/sim.js';

const AGENTS = 20;
/** Agents that list B first: B has agents of its own before the kill, and they must not move. */
const ON_B = 6;
const today = new Date().toISOString().slice(0, 10);
/** Detection cycles per agent per round of the writer (a round every 200 ms). */
const CYCLES_PER_ROUND = 3;
/** Detection cycles are one minute apart, starting ten hours ago: recent, strictly ordered, never in the future. */
const firstMinute = Math.floor((Date.now() - Date.parse(`${today}T00:00:00Z`)) / 60_000) - 600;

interface LogLine {
  msg: string;
  time: number;
  collector?: string;
  previousCollector?: string;
}

interface RunningAgent {
  hostname: string;
  agentId: string;
  dir: string;
  agent: Agent;
  lines: LogLine[];
  /** Detection cycles written to its log so far. */
  cycles: number;
  /** Its next cycles fail (three failed detections in a row fire detect_failures). */
  failing: boolean;
}

/** Enrolls through the list (the first collector that answers) and starts the real agent runtime on a sim dir. */
async function startAgent(root: string, hostname: string, urls: string[], secret: string, wsusUrl: string) {
  // One cycle in the log from the start: a legacy log is tailed (an empty one would mean event mode).
  const dir = await makeSimDir(root, hostname, wsusUrl, cycle(today, firstMinute, wsusUrl, null));
  const stateDir = join(dir, 'state');
  const config = loadAgentConfig({
    env: {},
    overrides: {
      // One comma-separated string, as COLLECTOR_URL and --collector carry it.
      collectorUrl: urls.join(','),
      stateDir,
      simulateDir: dir,
      hostname,
      logLevel: 'info',
      intervals: {
        tailMs: 100,
        policySeconds: 60,
        probeSeconds: 60,
        probeMaxBackoffSeconds: 60,
        wuaSeconds: 60,
        eventSeconds: 60,
      },
      probeTimeouts: { dnsMs: 1000, tcpMs: 1000, tlsMs: 1000, httpMs: 1500 },
      // The default base (1 s) halved: the jitter that spreads a fleet over the survivor is the real formula.
      reconnect: { baseMs: 500, capMs: 5000 },
    },
  });
  const credentials = await ensureEnrolled({
    collectorUrl: config.collectorUrls,
    enrollSecret: secret,
    stateDir,
    hostname,
  });
  const lines: LogLine[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) });
  const sources = createSources({ platform: 'simulate', simulateDir: dir, runner: new RecordingRunner(), stateDir });
  const agent = new Agent({
    config,
    credentials,
    sources,
    log,
    logPath: join(dir, 'WindowsUpdate.log'),
    logOffsetMinutes: 0,
  });
  await agent.start();
  const running: RunningAgent = {
    hostname,
    agentId: credentials.agentId,
    dir,
    agent,
    lines,
    cycles: 1,
    failing: false,
  };
  return running;
}

/** The collector each agent last connected to, from its own log lines. */
function connectedTo(a: RunningAgent): string | undefined {
  return a.lines.filter((l) => l.msg.startsWith('connected to')).at(-1)?.collector;
}

test('collector A SIGKILLed under load: every agent on A moves to B, nothing lost or doubled, each alert notified once', async (t) => {
  t.timeout(60_000);
  const started = Date.now();
  const sink = await startWebhookSink();
  const wsus = await startWsusStandin('healthy');
  const adminToken = 'admin-failover-0123456789abcdef0123';
  const cluster = await childCollectorDatabase(adminToken, {
    alerts: {
      debounceMs: 50,
      channels: [{ type: 'webhook', name: 'ops', url: sink.url }],
      // A lease a killed collector leaves behind runs out after two seconds.
      delivery: { pollMs: 100, leaseMs: 2000, retryBaseMs: 100, retryMaxMs: 400 },
    },
  });
  const root = await mkdtemp(join(tmpdir(), 'wuwatch-failover-'));
  const agents: RunningAgent[] = [];
  let writing = false;
  t.teardown(async () => {
    writing = false;
    await Promise.all(agents.map((a) => a.agent.stop(500).catch(() => undefined)));
    await cluster.close();
    await sink.close();
    await wsus.close();
    await rm(root, { recursive: true, force: true });
  });

  const a: ChildCollector = await cluster.spawn();
  const b: ChildCollector = await cluster.spawn();
  const secret = (await api<{ secret: string }>({ url: a.url, adminToken }, 'POST', '/v1/enroll-secrets', {})).body
    .secret;
  // Started together (enrollment included), kept in host-name order.
  agents.push(
    ...(await Promise.all(
      Array.from({ length: AGENTS }, (_, i) =>
        startAgent(
          root,
          `srv-fo-${String(i).padStart(2, '0')}`,
          i < AGENTS - ON_B ? [a.url, b.url] : [b.url, a.url],
          secret,
          wsus.url,
        ),
      ),
    )),
  );
  const onA = agents.slice(0, AGENTS - ON_B);
  const onB = agents.slice(AGENTS - ON_B);
  t.log(`2 collectors and ${AGENTS} agents up in ${Date.now() - started} ms`);

  // The load: every 200 ms, three detection cycles in every agent's WindowsUpdate.log, until the end.
  const writeRound = () =>
    Promise.all(
      agents.map(async (x) => {
        let text = '';
        for (let i = 0; i < CYCLES_PER_ROUND; i++) {
          text += cycle(today, firstMinute + x.cycles, wsus.url, x.failing ? '0x80244022' : null);
          x.cycles++;
        }
        await appendLog(x.dir, text);
      }),
    );
  writing = true;
  const writer = (async () => {
    while (writing) {
      await writeRound();
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const machineOf = async (x: RunningAgent) => {
    const { body } = await api<{ items: { id: string; hostname: string }[] }>(
      { url: b.url, adminToken },
      'GET',
      `/v1/machines?q=${x.hostname}`,
    );
    return body.items.find((m) => m.hostname === x.hostname)!.id;
  };
  const receivedFor = (machineId: string) =>
    sink.received.filter((r) => r.body.alert.subject === `machine:${machineId}`);

  await waitFor(() => agents.every((x) => x.agent.spoolStats.ackedSeq > 3), 'every agent delivering', 20_000);
  t.deepEqual(
    agents.map(connectedTo),
    agents.map((_, i) => (i < AGENTS - ON_B ? a.url : b.url)),
    'each agent on the first collector of its list',
  );

  // 1. An alert delivered before the kill: it must not be sent again by the collector that takes over.
  const before = onA[0]!;
  before.failing = true;
  const beforeMachine = await machineOf(before);
  await waitFor(() => receivedFor(beforeMachine).length === 1, 'the first alert delivered', 20_000);

  // 2. An alert queued while the receiver fails: A may have tried it (and holds its lease) when it dies.
  sink.failNext = 1_000_000;
  const pending = onA[1]!;
  pending.failing = true;
  const pendingMachine = await machineOf(pending);
  const attempts = async () =>
    (
      await cluster.pool.query<{ attempts: number }>(
        `SELECT attempts FROM alert_notifications WHERE payload->'alert'->>'subject' = $1`,
        [`machine:${pendingMachine}`],
      )
    ).rows[0]?.attempts ?? 0;
  await waitFor(async () => (await attempts()) >= 2, 'the second alert queued and refused by the receiver', 20_000);

  // Under load: A dies without a word.
  const killedAt = Date.now();
  await a.kill();
  // What each agent had spooled when A died: B must end up with all of it.
  const spooledAtKill = new Map(agents.map((x) => [x, x.agent.spoolStats.lastSeq]));
  sink.failNext = 0;

  // 3. An alert that fires after the takeover, on an agent that was on A.
  const after = onA[2]!;
  after.failing = true;

  await waitFor(
    () => onA.every((x) => connectedTo(x) === b.url && x.agent.spoolStats.ackedSeq >= spooledAtKill.get(x)!),
    'every agent of A connected to B, and B storing what it had spooled when A died',
    20_000,
  ).catch((err: unknown) => {
    const state = onA.map((x) => `${x.hostname} ${connectedTo(x)} ${JSON.stringify(x.agent.spoolStats)}`);
    throw new Error(`${(err as Error).message}\n${state.join('\n')}`);
  });
  const reconnectedMs = Date.now() - killedAt;
  const afterMachine = await machineOf(after);
  await waitFor(
    () => receivedFor(pendingMachine).length >= 1 && receivedFor(afterMachine).length >= 1,
    'the queued and the new alert delivered',
    20_000,
  );
  const deliveredMs = Date.now() - killedAt;
  // Two more seconds of load on B alone, then the writers stop and every spool drains.
  await new Promise((r) => setTimeout(r, 2000));
  writing = false;
  await writer;
  await waitFor(() => agents.every((x) => x.agent.spoolStats.pending === 0), 'every spool drained', 20_000);
  // Duplicates would come from B's evaluations and outbox polls after the takeover: give them time.
  await new Promise((r) => setTimeout(r, 1500));

  // Every agent of A moved to B once (one failover line each); B's own agents never moved.
  const movedAt: number[] = [];
  for (const x of onA) {
    const moves = x.lines.filter((l) => l.msg === 'connected to another collector (failover)');
    t.is(moves.length, 1, x.hostname);
    t.like(moves[0], { collector: b.url, previousCollector: a.url });
    movedAt.push(moves[0]!.time - killedAt);
  }
  // The reconnects spread over the jittered backoff (uniform in [125, 500) ms after the first failure), not at once.
  const spreadMs = Math.max(...movedAt) - Math.min(...movedAt);
  t.true(spreadMs >= 50, `reconnects ${movedAt.join(', ')} ms after the kill`);
  for (const x of onB) {
    t.is(x.lines.filter((l) => l.msg.startsWith('connected to')).length, 1, `${x.hostname} connected once`);
    t.is(connectedTo(x), b.url);
  }

  // Every event stored exactly once: seqs 1..lastSeq with no gap and no repeat, every cycle's detection once.
  const { rows } = await cluster.pool.query<{
    agent_id: string;
    n: number;
    distinct_seq: number;
    max_seq: number;
    detections: number;
    attempts: number;
  }>(
    `SELECT agent_id, count(*)::int AS n, count(DISTINCT seq)::int AS distinct_seq, max(seq)::int AS max_seq,
       (count(*) FILTER (WHERE kind = 'detection'))::int AS detections,
       (count(DISTINCT data->>'attemptKey') FILTER (WHERE kind = 'detection'))::int AS attempts
     FROM events GROUP BY agent_id`,
  );
  const stats = new Map(rows.map((r) => [r.agent_id, r]));
  let events = 0;
  for (const x of agents) {
    const s = stats.get(x.agentId);
    const sent = x.agent.spoolStats.lastSeq;
    events += sent;
    t.like(s, { n: sent, distinct_seq: sent, max_seq: sent, detections: x.cycles, attempts: x.cycles }, x.hostname);
  }

  // Each alert notified once, the one delivered before the kill included; nothing else was sent.
  const counts = sink.countsById();
  t.deepEqual(
    [...counts.values()].filter((n) => n !== 1),
    [],
    'each delivery id received once',
  );
  t.deepEqual(
    sink.received.map((r) => `${r.body.kind} ${r.body.alert.rule} ${r.body.alert.subject}`).sort(),
    [beforeMachine, pendingMachine, afterMachine].map((m) => `firing detect_failures machine:${m}`).sort(),
  );
  const { rows: outbox } = await cluster.pool.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM alert_notifications GROUP BY state`,
  );
  t.deepEqual(outbox, [{ state: 'delivered', n: 3 }], 'three notifications queued, each delivered');
  const { rows: open } = await cluster.pool.query<{ subject: string }>(
    `SELECT subject FROM alerts WHERE state <> 'resolved' ORDER BY subject`,
  );
  t.deepEqual(
    open.map((r) => r.subject),
    [beforeMachine, pendingMachine, afterMachine].map((m) => `machine:${m}`).sort(),
    'one open alert per failing machine',
  );
  t.log(
    `${events} events from ${AGENTS} agents; ${onA.length} agents reconnected to B within ${reconnectedMs} ms of the ` +
      `kill ` +
      `(reconnects ${Math.min(...movedAt)}–${Math.max(...movedAt)} ms after it); queued and new alert delivered ` +
      `${deliveredMs} ms after it; whole test ${Date.now() - started} ms`,
  );
});
