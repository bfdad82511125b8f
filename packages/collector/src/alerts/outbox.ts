/**
 * Delivers queued notifications. A row is leased (leased_until) in a short transaction, sent outside any
 * transaction, then marked delivered or rescheduled with backoff. Any collector may deliver; the lease makes
 * sure only one sends a row at a time. A collector killed mid-send leaves the lease to expire, so the row is
 * sent again (receivers deduplicate on X-Wuwatch-Delivery); one killed before sending simply sends it later.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/index.js';
import type { Channel } from './channels/index.js';
import { retryDecision, type RetryOptions } from './retry.js';
import type { Notification } from './types.js';

interface OutboxRow {
  id: string;
  channel: string;
  attempts: number;
  payload: Notification & { createdAt: string; alert: Notification['alert'] };
}

function revive(n: OutboxRow['payload']): Notification {
  // Dates went through JSON; the channels format them, so give them back their type.
  const a = n.alert as unknown as Record<string, unknown>;
  const dates = ['firingSince', 'clearSince', 'resolvedAt', 'lastSeen', 'lastNotifiedAt'];
  const alert = { ...a };
  for (const k of dates) if (typeof alert[k] === 'string') alert[k] = new Date(alert[k]);
  return { ...n, createdAt: new Date(n.createdAt), alert: alert as unknown as Notification['alert'] };
}

/** Polls the outbox and delivers due notifications through the configured channels. */
export class OutboxWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wakeRequested = false;

  constructor(
    private readonly db: Database,
    private readonly channels: ReadonlyMap<string, Channel>,
    private readonly opts: {
      pollMs: number;
      leaseMs: number;
      retry?: Partial<RetryOptions>;
      log: Logger;
      batch?: number;
    },
  ) {}

  /** Starts polling. */
  start(): void {
    this.schedule(0);
  }

  /** Delivers due rows now (called after an evaluation queued some). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = this.deliverDue()
      .then(() => undefined)
      .catch((err: unknown) => this.opts.log.error({ err }, 'outbox delivery failed'))
      .finally(() => {
        this.running = null;
      });
    await this.running;
    const again = this.wakeRequested;
    this.wakeRequested = false;
    this.schedule(again ? 0 : this.opts.pollMs);
  }

  /** Leases and delivers every due row once; returns how many were delivered. */
  async deliverDue(now: Date = new Date()): Promise<number> {
    const { rows } = await this.db.withTransaction((tx) =>
      tx.query<OutboxRow>(
        // RETURNING comes in no particular order; the outer SELECT puts the batch in creation order, so a receiver
        // gets an alert's firing before its resolved.
        `WITH leased AS (
           UPDATE alert_notifications SET leased_until = $2::timestamptz + make_interval(secs => $3 / 1000.0)
           WHERE (id, channel) IN (
             SELECT id, channel FROM alert_notifications
             WHERE state = 'pending' AND next_attempt_at <= $2 AND (leased_until IS NULL OR leased_until < $2)
             ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id, channel, attempts, payload, created_at)
         SELECT id, channel, attempts, payload FROM leased ORDER BY created_at, id`,
        [this.opts.batch ?? 50, now, this.opts.leaseMs],
      ),
    );
    let delivered = 0;
    for (const row of rows) {
      const channel = this.channels.get(row.channel);
      if (!channel) {
        await this.db.query(
          `UPDATE alert_notifications SET state = 'dead', last_error = $3, leased_until = NULL WHERE id = $1 AND channel = $2`,
          [row.id, row.channel, `channel "${row.channel}" is no longer configured`],
        );
        continue;
      }
      try {
        await channel.send(revive(row.payload));
        await this.db.query(
          `UPDATE alert_notifications SET state = 'delivered', delivered_at = now(), attempts = attempts + 1,
             leased_until = NULL, last_error = NULL WHERE id = $1 AND channel = $2`,
          [row.id, row.channel],
        );
        delivered++;
      } catch (err) {
        const retryable = (err as { details?: { retryable?: boolean } }).details?.retryable !== false;
        const attempts = row.attempts + 1;
        const d = retryDecision(attempts, new Date(), this.opts.retry, retryable);
        const message = err instanceof Error ? err.message : String(err);
        this.opts.log.warn({ id: row.id, channel: row.channel, attempts, err: message }, 'notification not delivered');
        await this.db.query(
          `UPDATE alert_notifications SET attempts = $3, last_error = $4, leased_until = NULL,
             state = $5, next_attempt_at = COALESCE($6, next_attempt_at) WHERE id = $1 AND channel = $2`,
          [
            row.id,
            row.channel,
            attempts,
            message.slice(0, 1000),
            d.action === 'dead' ? 'dead' : 'pending',
            d.action === 'retry' ? d.at : null,
          ],
        );
      }
    }
    return delivered;
  }

  /** Stops polling and waits for a delivery in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
