/** The collector's configuration schema: every option, its default, and its validation. */
import * as z from 'zod';
import { redactPassword, secret, secretUrl } from './secret.js';
import { AlertRulesConfig } from '../alerts/rules.js';
import { ChannelConfig } from '../alerts/channels/channel.js';

const minutes = z.number().positive();

/** Status thresholds (see README "Configuration"). */
export const StatusConfig = z
  .object({
    /** An agent not heard from for this long is `silent`. */
    silentAfterMinutes: minutes.default(15),
    /** No successful detection for this many detection intervals is `detect_stale`. */
    staleAfterIntervals: z.number().positive().default(3),
    /** Detection interval when the policy does not set one (Windows default: 22 h). */
    defaultDetectionIntervalHours: z.number().positive().max(24).default(22),
    /** Status is re-evaluated for every machine this often (silent and stale need a clock, not an event). */
    sweepSeconds: z.number().int().positive().default(30),
  })
  .strict();

/** Agent endpoint options. */
export const AgentEndpointConfig = z
  .object({
    /** Largest WebSocket frame accepted; larger frames close the socket with 1009. */
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** Ping interval; a peer that misses one pong is dropped. */
    heartbeatSeconds: z.number().positive().default(30),
    /**
     * Write transactions at once across all sockets (the writers' own PostgreSQL connections). Each carries up to
     * maxBatchesPerWrite hellos and batches of different agents (group commit); beyond maxConcurrentWrites ×
     * maxBatchesPerWrite frames in progress, sockets stop being read.
     */
    maxConcurrentWrites: z.number().int().positive().default(8),
    /** Hellos and batches one write transaction carries at most. */
    maxBatchesPerWrite: z.number().int().positive().default(64),
    /**
     * An event time further ahead of the collector's clock than this (30 days) is replaced by the time it was
     * received. Generous on purpose: events of one batch clamped to one time look like one detection cycle.
     */
    maxFutureSkewSeconds: z
      .number()
      .int()
      .nonnegative()
      .default(30 * 86_400),
    /** An event older than this (days before now) is quarantined: no Windows Update history is that old. */
    maxEventAgeDays: z.number().int().positive().default(3650),
  })
  .strict();

/** Connection and request limits of the HTTP server and the agent endpoint (README "Security"). */
export const LimitsConfig = z
  .object({
    /** A connection must send a complete request head within this (slowloris, idle sockets). */
    headersTimeoutSeconds: z.number().positive().default(10),
    /** A whole HTTP request (head and body) must arrive within this. */
    requestTimeoutSeconds: z.number().positive().default(30),
    /** An idle keep-alive HTTP connection is closed after this. */
    keepAliveTimeoutSeconds: z.number().positive().default(5),
    /** Most TCP connections at once; at the cap the oldest idle unauthenticated one is dropped to make room. */
    maxConnections: z.number().int().positive().default(4096),
    /** Most connections one remote address may hold before authenticating as an agent. */
    maxUnauthenticatedPerAddress: z.number().int().positive().default(64),
    /** An agent WebSocket that sends no hello within this is closed. */
    helloTimeoutSeconds: z.number().positive().default(10),
    /** POST /v1/enroll attempts one address may make per minute (guessing secrets, enrollment floods). */
    enrollPerMinutePerAddress: z.number().int().positive().default(600),
  })
  .strict()
  .refine((l) => l.headersTimeoutSeconds <= l.requestTimeoutSeconds, {
    message: 'headersTimeoutSeconds must not exceed requestTimeoutSeconds',
    path: ['headersTimeoutSeconds'],
  });

/** Alerting: rules, schedule, channels, delivery (see README "Alerts"). */
export const AlertsConfig = z
  .object({
    enabled: z.boolean().default(true),
    /** node-cron expression of the periodic evaluation (default every minute). */
    schedule: z.string().default('* * * * *'),
    /** Evaluation after ingest changed a machine waits this long to batch changes together. */
    debounceMs: z.number().int().nonnegative().default(2000),
    /** Evaluations read only changed and due machines; one reads the whole fleet at start and this often. */
    fullEvaluationMinutes: z.number().positive().default(60),
    rules: AlertRulesConfig.prefault({}),
    channels: z.array(ChannelConfig).default([]),
    delivery: z
      .object({
        pollMs: z.number().int().positive().default(5000),
        leaseMs: z.number().int().positive().default(60_000),
        retryBaseMs: z.number().int().positive().default(5000),
        retryMaxMs: z
          .number()
          .int()
          .positive()
          .default(15 * 60_000),
        giveUpAfter: z.number().int().positive().default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    a.channels.forEach((c, i) => {
      // Each repeat renews the alert in Alertmanager; a shorter life would resolve it there between repeats.
      if (c.type === 'alertmanager' && c.ttlMinutes <= a.rules.repeatIntervalMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i, 'ttlMinutes'],
          message: `must be more than alerts.rules.repeatIntervalMinutes (${a.rules.repeatIntervalMinutes})`,
        });
      }
    });
  });

/** Data lifecycle: how long raw events and rollups are kept (see README "Retention and sizing"). */
export const RetentionConfig = z
  .object({
    /** Raw events are kept this many whole UTC days before today (by the time the collector received them). */
    days: z.number().int().positive().max(3650).default(90),
    /** The detection timeline and the dashboard's status history are kept this many days. */
    rollupDays: z.number().int().positive().max(3650).default(400),
    /** Daily partitions are created this many days ahead. */
    aheadDays: z.number().int().positive().max(60).default(7),
    /** Maintenance runs at start and then this often. */
    intervalMinutes: z.number().positive().default(60),
    /** Rows deleted per transaction when trimming the migrated legacy partition. */
    trimBatchRows: z.number().int().positive().default(5000),
    /** A partition DROP waits at most this long for its lock, then retries on the next run. */
    lockTimeoutMs: z.number().int().positive().default(2000),
    /** Pause between two partition drops, so writers queued behind a DROP's lock catch up before the next. */
    pauseMs: z.number().int().nonnegative().default(1000),
  })
  .strict();

/** Full collector configuration. */
export const CollectorConfig = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8470),
    /** PostgreSQL URL; unset means the embedded PGlite database under dataDir (not for production). */
    databaseUrl: secretUrl(z.string().url(), redactPassword).optional(),
    dataDir: z.string().default('.wuwatch-data'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** TLS for HTTPS and wss://; without it the collector serves plain HTTP/ws:// and warns. */
    tls: z.object({ certFile: z.string(), keyFile: z.string() }).strict().optional(),
    /** Bootstrap API token accepted in addition to tokens in the database (for the first `wuwatch token create`). */
    adminToken: secret(z.string().min(24, 'adminToken must be at least 24 characters')).optional(),
    agent: AgentEndpointConfig.default(AgentEndpointConfig.parse({})),
    status: StatusConfig.default(StatusConfig.parse({})),
    limits: LimitsConfig.prefault({}),
    alerts: AlertsConfig.prefault({}),
    retention: RetentionConfig.prefault({}),
  })
  .strict();

export type CollectorConfig = z.infer<typeof CollectorConfig>;
export type StatusConfig = z.infer<typeof StatusConfig>;
export type AgentEndpointConfig = z.infer<typeof AgentEndpointConfig>;
export type AlertsConfig = z.infer<typeof AlertsConfig>;
export type RetentionConfig = z.infer<typeof RetentionConfig>;
export type LimitsConfig = z.infer<typeof LimitsConfig>;
