/**
 * The agent's run loop: sources → findings → spool → collector. Everything that touches Windows comes in
 * through `Sources` (real tools or a simulate directory), so the same loop runs on Linux in tests.
 * States: created → running → stopping → stopped; `stop()` is idempotent and drains within a deadline.
 */
import { join } from 'node:path';
import { hostname as osHostname, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { assessPolicy, assessUpdateSources, eventToFinding, osBuildOf, type WireEvent } from '@wuwatch/core';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/schema.js';
import type { Credentials } from '../enroll/credentials.js';
import { Spool, type SpoolInput } from '../spool/index.js';
import { LogTailer, detectMode } from '../tail/index.js';
import { probeWsus, ProbeBackoff, ProbeReporter } from '../probe/index.js';
import { channelStateData, type Sources } from '../sources/index.js';
import { CollectorClient, type OutboundQueue } from '../transport/client.js';
import type { AgentMetricsSnapshot } from '../metrics/index.js';
import { Loop } from './loop.js';
import { eventFindingToEvent } from './to-events.js';
import { LogSink } from './log-sink.js';
import { failureLog, type FailureLog } from '../log/log-on-change.js';
import { migrateLegacyCheckpoint } from './migrate-checkpoint.js';
import { SourceStateReporter } from './source-state.js';
import { SPOOL_DIR_NAME, TAIL_CURSOR_KEY, tailCursorFrom, type TailCursor } from './tail-cursor.js';

/** The agent's version, reported in hello. */
export const AGENT_VERSION = '0.1.0';

/** Everything the agent needs, passed in. */
export interface AgentDeps {
  config: Readonly<AgentConfig>;
  credentials: Credentials;
  sources: Sources;
  log: Logger;
  /** Path of WindowsUpdate.log to look at. */
  logPath: string;
  /** UTC offset of log timestamps in minutes (east positive). */
  logOffsetMinutes: number;
  osVersion?: string;
}

/** A running agent. */
export class Agent {
  private state: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  private spool!: Spool;
  private client!: CollectorClient;
  private tailer: LogTailer | null = null;
  private loops: Loop[] = [];
  private lastPolicyJson = '';
  private lastWuaJson = '';
  private wsusUrl: string | null = null;
  mode: 'log' | 'event' = 'event';
  private probeFailures: FailureLog | null = null;
  private sourceStates!: SourceStateReporter;
  private hostname = '';
  private lastDeliveryAt: Date | null = null;
  private lastProbe: AgentMetricsSnapshot['probe'] = null;
  /** Reports a probe result when it changes, else at most every intervals.probeRepeatSeconds (probe/dedup.ts). */
  private probeReporter: ProbeReporter | null = null;

  constructor(private readonly deps: AgentDeps) {}

  /** Spool statistics (for status output and tests). */
  get spoolStats(): { lastSeq: number; ackedSeq: number; pending: number } {
    return { lastSeq: this.spool.lastSeq, ackedSeq: this.spool.ackedSeq, pending: this.spool.pendingCount };
  }

  private async append(events: SpoolInput[]): Promise<WireEvent[]> {
    if (events.length === 0) return [];
    const stored = await this.spool.append(events);
    this.client.notify();
    return stored;
  }

  /** Opens the spool, picks the mode, starts sources and the collector connection. */
  async start(): Promise<void> {
    if (this.state !== 'created') return;
    this.state = 'running';
    const { config, log } = this.deps;
    this.spool = await Spool.open({
      dir: join(config.stateDir, SPOOL_DIR_NAME),
      maxBytes: config.spoolMaxBytes,
      logger: log.child({ component: 'spool' }),
    });
    const decision = await detectMode(this.deps.logPath);
    this.mode = decision.mode;
    log.info({ mode: this.mode, reason: decision.reason, logPath: this.deps.logPath }, `running in ${this.mode} mode`);
    const sourcesLog = log.child({ component: 'sources' });
    this.sourceStates = new SourceStateReporter({ append: (events) => this.append(events), log: sourcesLog });
    this.hostname = config.hostname ?? osHostname();
    this.client = new CollectorClient(this.deliveryQueue(), {
      urls: config.collectorUrls,
      token: this.deps.credentials.token,
      agentId: this.deps.credentials.agentId,
      hostname: this.hostname,
      osVersion: this.deps.osVersion ?? `${process.platform} ${release()}`,
      agentVersion: AGENT_VERSION,
      mode: this.mode,
      caFile: config.caFile,
      batchMaxEvents: config.batch.maxEvents,
      batchMaxBytes: config.batch.maxBytes,
      maxInFlight: config.batch.maxInFlight,
      maxRefusals: config.batch.maxRefusals,
      heartbeatMs: config.heartbeatSeconds * 1000,
      reconnectBaseMs: config.reconnect.baseMs,
      reconnectCapMs: config.reconnect.capMs,
      log: log.child({ component: 'transport' }),
      onWelcome: (protocol) =>
        void this.sourceStates.negotiated(protocol).catch((err: unknown) => {
          sourcesLog.warn({ err }, 'source states not spooled; sent with the next change or welcome');
        }),
    });
    await this.append([
      { time: new Date().toISOString(), kind: 'agent_started', data: { version: AGENT_VERSION, mode: this.mode } },
    ]);
    this.client.start();

    const i = config.intervals;
    const loopLog = sourcesLog;
    this.probeFailures = failureLog(log.child({ component: 'probe' }), 'WSUS probe');
    this.probeReporter = new ProbeReporter(i.probeRepeatSeconds * 1000);
    this.loops.push(new Loop('policy', () => this.pollPolicy().then(() => i.policySeconds * 1000), loopLog, 60_000));
    const backoff = new ProbeBackoff({
      intervalMs: i.probeSeconds * 1000,
      baseMs: Math.min(30_000, i.probeSeconds * 1000),
      maxMs: i.probeMaxBackoffSeconds * 1000,
    });
    this.loops.push(new Loop('probe', () => this.probe(backoff), loopLog, i.probeSeconds * 1000));
    this.loops.push(new Loop('wua', () => this.pollWua().then(() => i.wuaSeconds * 1000), loopLog, 60_000));
    if (this.mode === 'event') {
      this.loops.push(new Loop('events', () => this.pollEvents(), loopLog, i.eventSeconds * 1000));
      // Only event mode reads the channel: in log mode the text log is the source and the channel's state is moot.
      this.loops.push(
        new Loop('channel', () => this.pollChannel().then(() => i.policySeconds * 1000), loopLog, 60_000),
      );
    }
    // Policy first: the probe needs the WSUS URL.
    await this.loops[0]!.trigger();
    for (const l of this.loops) l.start();
    if (this.mode === 'log') await this.startTail();
  }

  /** The spool as the client sees it, noting when the collector last acknowledged events (for the metrics). */
  private deliveryQueue(): OutboundQueue {
    const spool = this.spool;
    return {
      get ackedSeq() {
        return spool.ackedSeq;
      },
      get lastSeq() {
        return spool.lastSeq;
      },
      peekRaw: (afterSeq, maxCount, maxBytes) => spool.peekRaw(afterSeq, maxCount, maxBytes),
      ack: async (upTo) => {
        await spool.ack(upTo);
        this.lastDeliveryAt = new Date();
      },
      setAside: (seq, reason) => spool.setAside(seq, reason),
    };
  }

  /** What the metrics endpoint shows of this agent (plain data, read at each scrape). */
  metricsSnapshot(): AgentMetricsSnapshot {
    const running = this.state === 'running' || this.state === 'stopping';
    return {
      machine: this.hostname,
      mode: this.mode,
      spool: running ? this.spoolStats : { lastSeq: 0, ackedSeq: 0, pending: 0 },
      lastDeliveryAt: this.lastDeliveryAt,
      connected: running && this.client.status === 'streaming',
      protocol: running ? this.sourceStates.negotiatedProtocol : null,
      probe: this.lastProbe,
      sources: running ? this.sourceStates.states().map((s) => s.data) : [],
    };
  }

  private async startTail(): Promise<void> {
    const { config, log } = this.deps;
    await migrateLegacyCheckpoint({
      stateDir: config.stateDir,
      logPath: this.deps.logPath,
      offsetMinutes: this.deps.logOffsetMinutes,
      spool: this.spool,
      log,
    });
    const { cursor, problem } = tailCursorFrom(this.spool.cursor(TAIL_CURSOR_KEY));
    if (problem !== null) log.warn({ err: problem }, problem.message);
    const sink = new LogSink({
      offsetMinutes: this.deps.logOffsetMinutes,
      commit: (events, c) => this.commitTail(events, c),
      resume: cursor,
      log,
    });
    this.tailer = new LogTailer({
      path: this.deps.logPath,
      sink,
      start: sink.position,
      pollMs: config.intervals.tailMs,
      // While catching up, chunk N+1 is parsed while chunk N's events and cursor are being fsync'ed.
      maxInFlight: 2,
      onReport: (r) => log.info({ report: r }, `log tail: ${r.kind}`),
    });
    await this.tailer.start();
  }

  /** Commits log events with the tail's cursor after them: one append, one fsync. */
  private async commitTail(events: SpoolInput[], cursor: TailCursor): Promise<void> {
    await this.spool.append(events, { key: TAIL_CURSOR_KEY, value: cursor });
    if (events.length > 0) this.client.notify();
  }

  private async pollPolicy(): Promise<void> {
    const policy = await this.deps.sources.policy.read();
    // The MDM store stands beside Group Policy: failing to read it must not hold back the Group Policy itself.
    const mdm = await this.deps.sources.policy.readMdm().catch((err: unknown) => {
      this.deps.log.warn({ err }, 'MDM PolicyManager store unreadable; policy sent without it');
      return undefined;
    });
    const json = JSON.stringify({ policy, mdm });
    const a = assessPolicy(policy);
    this.wsusUrl = a.source === 'wsus' ? a.wsusUrl : null;
    if (json === this.lastPolicyJson) return;
    this.lastPolicyJson = json;
    // Group Policy and the MDM store together (Dual Scan, per-class sources, MDM values and conflicts): core's
    // assessment of both, logged with the policy it read.
    const sources = assessUpdateSources({
      policy,
      mdm: mdm ?? null,
      osBuild: osBuildOf(this.deps.osVersion ?? release()),
    });
    this.deps.log.info(
      {
        source: a.source,
        wsusUrl: a.wsusUrl,
        problems: a.problems.map((p) => p.code),
        mdm: mdm?.present ?? null,
        updateSources: sources.summary,
        sourceFindings: sources.findings.map((f) => f.code),
      },
      'Windows Update policy read',
    );
    await this.append([
      {
        time: new Date().toISOString(),
        kind: 'policy',
        data: mdm === undefined ? { policy } : { policy, mdm },
      },
    ]);
  }

  private async probe(backoff: ProbeBackoff): Promise<number> {
    // Only the configured WSUS server is ever probed; a machine on Microsoft Update is not probed at all.
    if (!this.wsusUrl) return this.deps.config.intervals.probeSeconds * 1000;
    const proxy = await this.deps.sources.proxy.read();
    const wsusCaFile = this.deps.config.wsusCaFile;
    const ca = wsusCaFile ? [readFileSync(wsusCaFile)] : undefined;
    const result = await probeWsus(this.wsusUrl, {
      timeouts: this.deps.config.probeTimeouts,
      proxy,
      ...(ca ? { ca, caLabel: `wsusCaFile ${wsusCaFile}` } : {}),
    });
    const now = Date.now();
    if (!this.probeReporter || this.probeReporter.due(result, now)) {
      await this.append([{ time: new Date(now).toISOString(), kind: 'probe', data: result }]);
      this.probeReporter?.reported(result, now);
    }
    this.lastProbe = { at: new Date(now), ok: result.ok, class: result.class };
    if (result.ok) this.probeFailures?.recovered({ url: result.url });
    else
      this.probeFailures?.failed({
        key: `${result.class ?? 'failed'} at ${result.failedStep ?? '?'}: ${result.message ?? ''}`,
        fields: { url: result.url, class: result.class, failedStep: result.failedStep, hresult: result.hresult },
        msg: `WSUS probe failed: ${result.message ?? result.class ?? 'unknown'} (logged again only when this changes)`,
      });
    return backoff.next(result.ok);
  }

  private async pollWua(): Promise<void> {
    const wua = await this.deps.sources.wua.read();
    if (!wua) return;
    const json = JSON.stringify(wua);
    if (json === this.lastWuaJson) return;
    this.lastWuaJson = json;
    await this.append([{ time: new Date().toISOString(), kind: 'wua', data: wua }]);
  }

  private async pollChannel(): Promise<void> {
    const state = await this.deps.sources.channel.read();
    if (state) await this.sourceStates.observe(channelStateData(state));
  }

  private async pollEvents(): Promise<number> {
    const poll = await this.deps.sources.events.poll();
    const events = poll.events.map(eventToFinding).flatMap((f) => (f ? [eventFindingToEvent(f)] : []));
    await this.append(events);
    await this.deps.sources.events.commit(poll.positions);
    return poll.more ? 0 : this.deps.config.intervals.eventSeconds * 1000;
  }

  /** Polls every source once now (tests and the simulator use it to avoid waiting for intervals). */
  async pollNow(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.trigger()));
    await this.tailer?.pollNow();
  }

  /** Waits until everything spooled so far is acknowledged (bounded). */
  drain(timeoutMs: number): Promise<boolean> {
    return this.client.drain(timeoutMs);
  }

  /** Graceful stop: stop sources, try to deliver what is spooled, say goodbye, close the spool. Idempotent. */
  async stop(drainMs = 5000): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    await Promise.all(this.loops.map((l) => l.stop()));
    await this.tailer?.stop();
    await this.append([
      { time: new Date().toISOString(), kind: 'agent_stopping', data: { reason: 'service stop' } },
    ]).catch(() => undefined);
    await this.client.drain(drainMs);
    await this.client.stop();
    await this.spool.close();
    this.state = 'stopped';
    this.deps.log.info('agent stopped');
  }
}
