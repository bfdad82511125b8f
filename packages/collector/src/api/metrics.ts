/**
 * The collector's Prometheus metrics (prom-client): process and Node runtime defaults, build info, ingest, HTTP
 * requests by route, notifications by channel and result, and gauges read from the database at scrape time
 * (machines per status, alerts firing per rule, the notification outbox). One registry per collector, so two
 * collectors in one process (tests) never share series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queryable } from '../db/index.js';
import { collectorVersion } from '../config/version.js';

/** The content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Every wuwatch-specific metric family, so the dashboard and rules can be checked against it. */
export const WUWATCH_METRIC_NAMES = [
  'wuwatch_build_info',
  'wuwatch_connected_agents',
  'wuwatch_events_ingested_total',
  'wuwatch_ingest_batch_seconds',
  'wuwatch_database_errors_total',
  'wuwatch_protocol_errors_total',
  'wuwatch_events_quarantined_total',
  'wuwatch_events_sanitised_total',
  'wuwatch_event_times_clamped_total',
  'wuwatch_connections_dropped_total',
  'wuwatch_http_request_duration_seconds',
  'wuwatch_notifications_total',
  'wuwatch_notification_duration_seconds',
  'wuwatch_machines',
  'wuwatch_alerts_firing',
  'wuwatch_outbox_notifications',
  'wuwatch_outbox_oldest_pending_seconds',
] as const;

/** prom-client defaults whose names break Prometheus naming rules; the collector does not export them. */
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** A counter that also keeps its total readable synchronously (tests and logs read it without a scrape). */
export class TotalCounter {
  private total = 0;
  constructor(private readonly counter: Counter) {}
  /** Adds `n` (default 1). */
  inc(n = 1): void {
    this.total += n;
    this.counter.inc(n);
  }
  /** The total so far. */
  get(): number {
    return this.total;
  }
}

/** Outcome of one notification attempt, as counted. */
export type NotificationResult = 'delivered' | 'failed';

/** The collector's metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly connectedAgents: Gauge;
  readonly eventsIngested: TotalCounter;
  readonly ingestLatency: Histogram;
  readonly databaseErrors: TotalCounter;
  readonly protocolErrors: TotalCounter;
  readonly eventsQuarantined: Counter<'class'>;
  readonly eventsSanitised: TotalCounter;
  readonly eventsNeverDelivered: TotalCounter;
  readonly eventTimesClamped: TotalCounter;
  readonly connectionsDropped: Counter<'reason'>;
  readonly httpRequests: Histogram<'method' | 'route' | 'status_code'>;
  readonly notifications: Counter<'channel' | 'type' | 'result'>;
  readonly notificationDuration: Histogram<'channel' | 'type'>;
  private readonly machines: Gauge<'status'>;
  private readonly alertsFiring: Gauge<'rule'>;
  private readonly outbox: Gauge<'state'>;
  private readonly outboxOldest: Gauge;

  constructor(opts: { version?: string } = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges `…_total`, which Prometheus reserves for counters (promtool rejects them).
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'wuwatch_build_info',
      help: 'Always 1; the labels say which wuwatch collector build and Node.js runtime are running.',
      labelNames: ['version', 'nodejs'],
      registers,
    }).set(
      {
        version: opts.version ?? collectorVersion(),
        nodejs: process.versions.node,
      },
      1,
    );
    this.connectedAgents = new Gauge({
      name: 'wuwatch_connected_agents',
      help: 'Agents connected to this collector.',
      registers,
    });
    this.eventsIngested = new TotalCounter(
      new Counter({ name: 'wuwatch_events_ingested_total', help: 'Events stored (duplicates excluded).', registers }),
    );
    this.ingestLatency = new Histogram({
      name: 'wuwatch_ingest_batch_seconds',
      help: 'Time to store and acknowledge one batch.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.databaseErrors = new TotalCounter(
      new Counter({ name: 'wuwatch_database_errors_total', help: 'Database operations that failed.', registers }),
    );
    this.protocolErrors = new TotalCounter(
      new Counter({ name: 'wuwatch_protocol_errors_total', help: 'Agent frames rejected as invalid.', registers }),
    );
    this.eventsQuarantined = new Counter({
      name: 'wuwatch_events_quarantined_total',
      help: 'Agent events set aside in the quarantine table instead of stored, by class (schema, data, time, policy, database).',
      labelNames: ['class'],
      registers,
    });
    this.eventsNeverDelivered = new TotalCounter(
      new Counter({
        name: 'wuwatch_agent_events_never_delivered_total',
        help: 'Seqs an agent numbered but never delivered (set aside in its spool after repeated refusals, or lost).',
        registers,
      }),
    );
    this.eventsSanitised = new TotalCounter(
      new Counter({
        name: 'wuwatch_events_sanitised_total',
        help: 'Agent events stored after control codes, NUL or lone surrogates in their strings were replaced.',
        registers,
      }),
    );
    this.eventTimesClamped = new TotalCounter(
      new Counter({
        name: 'wuwatch_event_times_clamped_total',
        help: 'Agent events whose time lay too far in the future and was replaced by the time received.',
        registers,
      }),
    );
    this.connectionsDropped = new Counter({
      name: 'wuwatch_connections_dropped_total',
      help:
        'Connections closed by the limits before authenticating, by reason (per_address, evicted, full, ' +
        'headers_timeout).',
      labelNames: ['reason'],
      registers,
    });
    this.httpRequests = new Histogram({
      name: 'wuwatch_http_request_duration_seconds',
      help: 'HTTP requests answered, by method, route pattern (not the raw URL) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.notifications = new Counter({
      name: 'wuwatch_notifications_total',
      help: 'Notification delivery attempts, by channel, channel type and result (delivered or failed).',
      labelNames: ['channel', 'type', 'result'],
      registers,
    });
    this.notificationDuration = new Histogram({
      name: 'wuwatch_notification_duration_seconds',
      help: 'Time one notification delivery attempt took, by channel and channel type.',
      labelNames: ['channel', 'type'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.machines = new Gauge({
      name: 'wuwatch_machines',
      help: 'Machines per status.',
      labelNames: ['status'],
      registers,
    });
    this.alertsFiring = new Gauge({
      name: 'wuwatch_alerts_firing',
      help: 'Alerts currently firing (not clearing, not resolved), by rule.',
      labelNames: ['rule'],
      registers,
    });
    this.outbox = new Gauge({
      name: 'wuwatch_outbox_notifications',
      help: 'Notifications in the outbox, by state (pending, delivered, dead, silenced).',
      labelNames: ['state'],
      registers,
    });
    this.outboxOldest = new Gauge({
      name: 'wuwatch_outbox_oldest_pending_seconds',
      help: 'Age of the oldest notification still waiting for delivery (0 when none waits).',
      registers,
    });
  }

  /** Counts one notification attempt. */
  observeNotification(channel: string, type: string, result: NotificationResult, seconds: number): void {
    this.notifications.inc({ channel, type, result });
    this.notificationDuration.observe({ channel, type }, seconds);
  }

  /**
   * Reads the database-backed gauges. Each query stands alone: a failing one drops its series (and counts a
   * database error) while the others, and every in-process metric, still render — the scrape matters most then.
   */
  async refreshFromDatabase(db: Queryable, onError: (what: string, err: unknown) => void): Promise<void> {
    const read = async <R>(what: string, sql: string, apply: (rows: R[]) => void): Promise<void> => {
      try {
        apply((await db.query<R>(sql)).rows);
      } catch (err) {
        this.databaseErrors.inc();
        onError(what, err);
      }
    };
    this.machines.reset();
    this.alertsFiring.reset();
    this.outbox.reset();
    this.outboxOldest.reset();
    await read<{ status: string; n: number }>(
      'machines per status',
      'SELECT status, count(*)::int AS n FROM machines GROUP BY status',
      (rows) => rows.forEach((r) => this.machines.set({ status: r.status }, Number(r.n))),
    );
    await read<{ rule: string; n: number }>(
      'alerts firing',
      `SELECT rule, count(*)::int AS n FROM alerts WHERE state = 'firing' GROUP BY rule`,
      (rows) => rows.forEach((r) => this.alertsFiring.set({ rule: r.rule }, Number(r.n))),
    );
    await read<{ state: string; n: number; oldest: number | null }>(
      'outbox',
      `SELECT state, count(*)::int AS n,
              CASE WHEN state = 'pending' THEN extract(epoch FROM now() - min(created_at))::float8 END AS oldest
         FROM alert_notifications GROUP BY state`,
      (rows) => {
        let oldest = 0;
        for (const r of rows) {
          this.outbox.set({ state: r.state }, Number(r.n));
          if (r.oldest !== null) oldest = Math.max(oldest, Number(r.oldest));
        }
        this.outboxOldest.set(oldest);
      },
    );
  }

  /** The exposition text of every metric. */
  async render(): Promise<string> {
    return this.registry.metrics();
  }
}
