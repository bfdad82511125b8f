/**
 * Composition root of the collector: config → logger → database → auth → agent endpoint + API → listen,
 * plus the status sweep. `close()` is idempotent and drains agents before the database closes.
 */
import { readFileSync } from 'node:fs';
import { assessPolicy, normalizeWsusUrl, type UpdatePolicy } from '@wuwatch/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CollectorConfig } from './config/schema.js';
import { quarantineRoutes } from './quarantine/api.js';
import { ConnectionGuard } from './transport/connection-guard.js';
import { redactConfig } from './config/load.js';
import { openDatabase, type Database } from './db/index.js';
import { AuthStore } from './auth/store.js';
import { AgentEndpoint } from './transport/agent-endpoint.js';
import { Metrics } from './api/metrics.js';
import { buildApi, type ApiDeps } from './api/app.js';
import type { PolicyAssessor } from './machines/projection.js';
import { MachineService, type MachineChange } from './machines/refresh.js';
import type { BatchResult } from './ingest/writer.js';
import { createChannel, instrumentChannel, type Channel } from './alerts/channels/index.js';
import { AlertEvaluator } from './alerts/engine.js';
import { OutboxWorker } from './alerts/outbox.js';
import { alertRoutes } from './alerts/api.js';
import { dashboardPlugin, type DashboardOptions } from './dashboard/index.js';
import { RetentionService } from './retention/service.js';
import { machineLifecycleRoutes } from './machines/api.js';

/** A running collector. */
export interface Collector {
  readonly url: string;
  readonly port: number;
  readonly db: Database;
  readonly app: FastifyInstance;
  readonly endpoint: AgentEndpoint;
  readonly metrics: Metrics;
  /** Connection limits (config `limits`): counts of open, refused and dropped connections. */
  readonly guard: ConnectionGuard;
  /** The alert evaluator and the outbox worker (null when alerts are disabled). */
  readonly alerts: { evaluator: AlertEvaluator; outbox: OutboxWorker } | null;
  /** Partition maintenance and rollup pruning (runs at start and every retention.intervalMinutes). */
  readonly retention: RetentionService;
  /** Runs one status sweep now (tests, and the periodic timer). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** Optional hooks for features layered on the collector (alerts, dashboard). */
export interface CollectorExtensions {
  plugins?: ApiDeps['plugins'];
  onBatch?: (result: BatchResult) => void;
  /** Machines whose status changed (a batch, a hello or the sweep), after the change committed. */
  onStatusChange?: (changes: MachineChange[]) => void;
  /** Dashboard tunables, e.g. a faster status-history sample in tests and demos. */
  dashboard?: Partial<DashboardOptions>;
}

/** The policy assessor the ingest uses: the core's rules, with the WSUS URL normalised for grouping. */
export const coreAssessor: PolicyAssessor = {
  assess(policy: unknown) {
    const assessment = assessPolicy(policy as UpdatePolicy);
    const wsusUrl = assessment.source === 'wsus' && assessment.wsusUrl ? normalizeWsusUrl(assessment.wsusUrl) : null;
    return { assessment: assessment, wsusUrl };
  },
};

/** Starts a collector with a validated config and a root logger. */
export async function startCollector(
  config: Readonly<CollectorConfig>,
  log: Logger,
  ext: CollectorExtensions = {},
): Promise<Collector> {
  log.info({ config: redactConfig(config) }, 'starting wuwatch collector');
  const db = await openDatabase({
    databaseUrl: config.databaseUrl?.reveal(),
    dataDir: config.dataDir,
    log: log.child({ component: 'db' }),
    // The ingest's writers get their own connections, one per write transaction (see agent.maxConcurrentWrites).
    writerPoolMax: config.agent.maxConcurrentWrites,
  });
  const metrics = new Metrics();
  const auth = new AuthStore(db, config.adminToken?.reveal());
  const thresholds = config.status;
  const alerts = startAlerts(config, db, log, metrics);
  const machines = new MachineService(db, thresholds);
  machines.onChange((changes) => {
    alerts?.evaluator.poke();
    ext.onStatusChange?.(changes);
  });
  const endpoint = new AgentEndpoint({
    db,
    auth,
    metrics,
    log: log.child({ component: 'agents' }),
    assessor: coreAssessor,
    machines,
    maxPayloadBytes: config.agent.maxPayloadBytes,
    heartbeatMs: config.agent.heartbeatSeconds * 1000,
    maxConcurrentWrites: config.agent.maxConcurrentWrites,
    maxBatchesPerWrite: config.agent.maxBatchesPerWrite,
    helloTimeoutMs: config.limits.helloTimeoutSeconds * 1000,
    admission: {
      maxFutureSkewMs: config.agent.maxFutureSkewSeconds * 1000,
      maxEventAgeMs: config.agent.maxEventAgeDays * 86_400_000,
    },
    onBatch: (result) => {
      // A status change is emitted by the machines module; new events alone can still move an alert.
      if (result.inserted > 0) alerts?.evaluator.poke();
      ext.onBatch?.(result);
    },
  });
  const https = config.tls
    ? { key: readFileSync(config.tls.keyFile), cert: readFileSync(config.tls.certFile) }
    : undefined;
  const app = await buildApi({
    db,
    auth,
    metrics,
    log,
    https,
    disconnectAgent: (id) => endpoint.disconnectAgent(id),
    enrollPerMinute: config.limits.enrollPerMinutePerAddress,
    plugins: [
      ...(alerts ? [alertRoutes(db, alerts.channels)] : []),
      machineLifecycleRoutes(db, (id) => endpoint.disconnectAgent(id)),
      quarantineRoutes(db),
      ...(ext.plugins ?? []),
    ],
    rootPlugins: [
      dashboardPlugin({
        db,
        auth,
        log: log.child({ component: 'dashboard' }),
        secureCookies: Boolean(config.tls),
        ...ext.dashboard,
      }),
    ],
  });
  const limits = config.limits;
  app.server.headersTimeout = limits.headersTimeoutSeconds * 1000;
  app.server.requestTimeout = limits.requestTimeoutSeconds * 1000;
  app.server.keepAliveTimeout = limits.keepAliveTimeoutSeconds * 1000;
  const guard = new ConnectionGuard(
    {
      maxConnections: limits.maxConnections,
      maxUnauthenticatedPerAddress: limits.maxUnauthenticatedPerAddress,
      headersTimeoutMs: limits.headersTimeoutSeconds * 1000,
    },
    log.child({ component: 'limits' }),
    (reason) => metrics.connectionsDropped.inc({ reason }),
  );
  guard.attach(app.server);
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/v1/agent') {
      guard.upgrading(req.socket);
      void endpoint.handleUpgrade(req, socket, head, () => guard.authenticate(req.socket));
    } else socket.destroy();
  });
  // The accept queue holds connections the event loop has not taken yet. Node's default (511) overflows when thousands
  // of agents connect at once and a turn of the loop runs long: the kernel then drops their handshakes, the agents time
  // out and reconnect, and the storm feeds itself. Sized to the connection cap; the kernel clamps it to
  // net.core.somaxconn (README, sizing).
  await app.listen({ host: config.host, port: config.port, backlog: limits.maxConnections });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const scheme = config.tls ? 'https' : 'http';
  const url = `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (!config.tls) {
    log.warn(
      'TLS is not configured: agents connect over plain ws:// and tokens travel unencrypted. Set tls.certFile/keyFile for production.',
    );
  }
  log.info(
    {
      url,
      dashboard: `${url}/`,
      agentEndpoint: `${scheme === 'https' ? 'wss' : 'ws'}://…:${port}/v1/agent`,
      database: db.description,
    },
    'collector listening',
  );

  let sweeping: Promise<void> | null = null;
  const sweep = async (): Promise<void> => {
    if (sweeping) return sweeping;
    sweeping = (async () => {
      try {
        await machines.touch(endpoint.agentIds);
        const changes = await machines.sweep();
        if (changes.length > 0) log.info({ changes: changes.length }, 'status sweep changed machines');
      } catch (err) {
        metrics.databaseErrors.inc();
        log.error({ err }, 'status sweep failed');
      } finally {
        sweeping = null;
      }
    })();
    return sweeping;
  };
  const timer = setInterval(() => void sweep(), thresholds.sweepSeconds * 1000);
  timer.unref();
  const retention = new RetentionService(db, { ...config.retention, log: log.child({ component: 'retention' }) });
  retention.start();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      log.info('collector shutting down: draining agents');
      clearInterval(timer);
      await endpoint.close();
      await app.close();
      if (sweeping) await sweeping;
      await retention.stop();
      if (alerts) {
        await alerts.evaluator.stop();
        await alerts.outbox.stop();
        for (const c of alerts.channels.values()) await c.close();
      }
      await db.close();
      log.info('collector stopped');
    })();
    return closing;
  };

  if (alerts) {
    alerts.evaluator.start();
    alerts.outbox.start();
  }
  return {
    url,
    port,
    db,
    app,
    endpoint,
    metrics,
    guard,
    alerts: alerts ? { evaluator: alerts.evaluator, outbox: alerts.outbox } : null,
    retention,
    sweep,
    close,
  };
}

/** Builds the alert channels, evaluator and outbox worker from config (null when alerts are disabled). */
function startAlerts(config: Readonly<CollectorConfig>, db: Database, log: Logger, metrics: Metrics) {
  const cfg = config.alerts;
  if (!cfg.enabled) return null;
  const alog = log.child({ component: 'alerts' });
  const channels = new Map<string, Channel>();
  for (const c of cfg.channels) {
    const base = c.name ?? c.type;
    let name = base;
    for (let i = 2; channels.has(name); i++) name = `${base}-${i}`;
    channels.set(name, instrumentChannel(createChannel({ ...c, name }), metrics));
  }
  if (channels.size === 0) alog.warn('no alert channels configured: alerts are recorded but nobody is notified');
  else
    alog.info({ channels: [...channels.values()].map((c) => `${c.name} (${c.type} ${c.target})`) }, 'alert channels');
  const outbox = new OutboxWorker(db, channels, {
    pollMs: cfg.delivery.pollMs,
    leaseMs: cfg.delivery.leaseMs,
    retry: { baseMs: cfg.delivery.retryBaseMs, maxMs: cfg.delivery.retryMaxMs, giveUpAfter: cfg.delivery.giveUpAfter },
    log: alog,
  });
  const evaluator = new AlertEvaluator(db, {
    rules: cfg.rules,
    channels: [...channels.keys()],
    schedule: cfg.schedule,
    debounceMs: cfg.debounceMs,
    fullEveryMinutes: cfg.fullEvaluationMinutes,
    log: alog,
    onQueued: () => outbox.wake(),
  });
  return { channels, evaluator, outbox };
}
