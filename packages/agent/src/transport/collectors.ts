/**
 * Which of the agent's collector URLs the transport talks to, and what it logs about each. The client starts with the
 * first URL and stays on the collector that works. After a healthy session (welcomed, lasted at least
 * `healthySessionMs`, a minute by default, and not ended by a refused batch) the first reconnect goes to the same
 * collector: a collector restarted for an upgrade, if it listens again by then, gets its agents back instead of
 * handing them all to the other one for good (one that takes longer fails that attempt, and its agents move on). A failed attempt (connect error, refused hello, no welcome), a session that died sooner, or a refused
 * batch moves the next attempt to the next URL in the list, round and round. Failures are logged per collector, once
 * per change (with two collectors down the attempts alternate, and one shared log would repeat itself), and a session
 * with a collector other than the last one is logged as a failover. The client (client.ts) owns the connection
 * itself; this file only chooses and reports.
 */
import type { Logger } from 'pino';
import { failureLog, type FailureLog } from '../log/log-on-change.js';

/** What the client tells about a welcome, for the connection's log line. */
export interface WelcomeFacts {
  ackedSeq: number;
  /** Events in the spool past what the collector has. */
  pending: number;
}

/**
 * A session this long proves the collector works: the reconnect after it tries the same collector first. A minute is
 * far longer than the sessions of a collector in a crash loop or refusing batches, and short next to normal uptime.
 */
export const HEALTHY_SESSION_MS = 60_000;

/** How a connection ended, as far as the choice of the next collector goes. */
export interface Ending {
  /** The collector closed it for a batch it could not store (1011) or a protocol error (1008). */
  refused: boolean;
}

/** The collector of the next attempt, chosen when a connection ends. */
export interface NextCollector {
  /** The collector the connection that ended was with. */
  collector: string;
  /** The collector the next attempt goes to. */
  next: string;
  /** How long the session lasted since its welcome (null: the attempt was never welcomed). */
  sessionMs: number | null;
}

/** The agent's collector URLs: the one in use, the move to the next, and one failure log per collector. */
export class CollectorRotation {
  /**
   * Connection failures are logged once per change, not once per reconnect (a collector down for a day), each
   * collector on its own.
   */
  private readonly logs = new Map<string, FailureLog>();
  /** Index in `urls` of the collector connected to, or tried next. */
  private index = 0;
  /** The collector the last session was with (null before the first): a change is logged as a failover. */
  private lastConnected: string | null = null;
  /** When the current collector welcomed the agent (null: no session now). */
  private sessionSince: number | null = null;

  constructor(
    private readonly urls: readonly string[],
    private readonly log: Logger,
    private readonly healthySessionMs = HEALTHY_SESSION_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (urls.length === 0) throw new Error('CollectorClient needs at least one collector URL');
  }

  /** The collector URL connected to, or tried next. */
  get current(): string {
    return this.urls[this.index]!;
  }

  /** The failure log of one collector. */
  deliveryTo(collector: string): FailureLog {
    let log = this.logs.get(collector);
    if (!log) {
      log = failureLog(this.log.child({ collector }), `delivery to the collector ${collector}`);
      this.logs.set(collector, log);
    }
    return log;
  }

  /** The current collector welcomed the agent: its failures are over, and a change of collector is a failover. */
  welcomed(facts: WelcomeFacts): void {
    const collector = this.current;
    this.deliveryTo(collector).recovered();
    if (this.lastConnected !== null && this.lastConnected !== collector) {
      this.log.warn(
        { collector, previousCollector: this.lastConnected, ...facts },
        'connected to another collector (failover)',
      );
    } else this.log.info({ collector, ...facts }, 'connected to collector');
    this.lastConnected = collector;
    this.sessionSince = this.now();
  }

  /**
   * The connection to the current collector ended (failed attempt or session): chooses the collector of the next
   * attempt, which comes after the usual backoff either way (see the file comment). Several agents that lost one
   * collector at once spread over the jittered delays instead of hitting the next one together.
   */
  ended(how: Ending): NextCollector {
    const collector = this.current;
    const sessionMs = this.sessionSince === null ? null : this.now() - this.sessionSince;
    this.sessionSince = null;
    const healthy = sessionMs !== null && sessionMs >= this.healthySessionMs && !how.refused;
    if (!healthy) this.index = (this.index + 1) % this.urls.length;
    return { collector, next: this.current, sessionMs };
  }
}
