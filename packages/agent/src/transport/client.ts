/**
 * The agent's connection to the collector: connect with the agent token, hello, then stream the spool's
 * unacknowledged events in batches sized by count and bytes. Acks delete from the spool; after any
 * reconnect everything unacknowledged is sent again (the collector ignores what it already has).
 * The reconnect backoff starts over only once a batch is acknowledged (a welcome alone proves little), and an event
 * the collector refuses again and again is set aside in the spool (see refusals.ts), so no agent is stuck behind it.
 * With several collector URLs (collectors sharing one database), collectors.ts chooses the one to connect to.
 * States: idle → connecting → streaming → (backoff → connecting …) → stopped.
 */
import { readFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import WebSocket from 'ws';
import { failureKey } from '../log/log-on-change.js';
import {
  Backoff,
  decodeCollectorFrame,
  encodeFrame,
  LIMITS,
  PROTOCOL_MIN_VERSION,
  PROTOCOL_VERSION,
  type AgentMode,
  type RandomFn,
} from '@wuwatch/core';
import type { Logger } from 'pino';
import { CollectorRotation } from './collectors.js';
import { RefusalTracker, type SeqRange } from './refusals.js';

/** The part of the spool the client needs. */
export interface OutboundQueue {
  readonly ackedSeq: number;
  readonly lastSeq: number;
  /**
   * Events after `afterSeq`, each as its JSON bytes (`JSON.stringify` of the wire event), so batches go out
   * without parsing and re-serialising every event.
   */
  peekRaw(afterSeq: number, maxCount: number, maxBytes: number): Promise<{ seq: number; json: Buffer }[]>;
  ack(upToSeq: number): Promise<void>;
  /** Moves the first unacknowledged event out of the queue, kept on disk; resolves with where it went. */
  setAside(seq: number, reason: string): Promise<string>;
}

const COMMA = Buffer.from(',');
const BATCH_END = Buffer.from(']}');

/**
 * The batch frame `encodeFrame({ type: 'batch', batchId, events })` would give, built from the events' JSON
 * bytes (the same text: `events` holds `JSON.stringify(event)` of each event, in order).
 */
export function rawBatchFrame(batchId: number, events: readonly { json: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`{"type":"batch","batchId":${batchId},"events":[`)];
  for (const [i, e] of events.entries()) {
    if (i > 0) parts.push(COMMA);
    parts.push(e.json);
  }
  parts.push(BATCH_END);
  return Buffer.concat(parts);
}

/** Client options (validated agent config). */
export interface ClientOptions {
  /** Collector base URLs in the order to try them (at least one); any of them accepts this agent's token. */
  urls: readonly string[];
  token: string;
  agentId: string;
  hostname: string;
  osVersion: string;
  agentVersion: string;
  mode: AgentMode;
  caFile?: string | undefined;
  batchMaxEvents: number;
  batchMaxBytes: number;
  /** Batches sent but not yet acknowledged. */
  maxInFlight: number;
  heartbeatMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  /** Times the collector may refuse the same event before it is set aside (see refusals.ts). */
  maxRefusals: number;
  /**
   * A session with a collector that lasted this long (ms) makes the first reconnect try the same collector again
   * (see collectors.ts); 60 s by default, shorter in tests.
   */
  healthySessionMs?: number;
  /** Random source of the reconnect jitter (tests). */
  random?: RandomFn;
  /** Name resolution (tests: a name with several addresses); Node's dns.lookup by default. */
  lookup?: LookupFunction;
  log: Logger;
  /** Called when the collector refuses the token (401): the agent must be re-enrolled. */
  onUnauthorized?: () => void;
  /** Called on each welcome with the negotiated protocol version (the agent sends newer kinds only when it allows). */
  onWelcome?: (protocol: number) => void;
}

type State = 'idle' | 'connecting' | 'streaming' | 'backoff' | 'stopped';

/** Streams the spool to the collector until stopped. */
export class CollectorClient {
  private state: State = 'idle';
  private readonly collectors: CollectorRotation;
  private ws: WebSocket | null = null;
  private sentUpTo = 0;
  private batchId = 0;
  /** Batches sent and not acknowledged, by id, in the order sent. */
  private inFlight = new Map<number, SeqRange>();
  private pumping = false;
  /** Another pass was asked for while a pump ran. */
  private pumpAgain = false;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private alive = true;
  private readonly ca: Buffer | undefined;
  private readonly backoff: Backoff;
  private readonly refusals: RefusalTracker;
  /** Last connection problem, for `status`/`diagnose`. */
  lastError: string | null = null;
  connectedAt: Date | null = null;

  constructor(
    private readonly queue: OutboundQueue,
    private readonly opts: ClientOptions,
  ) {
    this.collectors = new CollectorRotation(opts.urls, opts.log, opts.healthySessionMs);
    this.ca = opts.caFile ? readFileSync(opts.caFile) : undefined;
    // Never 0: a tight reconnect loop must be impossible even with an unlucky draw.
    this.backoff = new Backoff(
      {
        baseMs: opts.reconnectBaseMs,
        capMs: opts.reconnectCapMs,
        floorMs: opts.reconnectBaseMs / 4,
      },
      opts.random,
    );
    this.refusals = new RefusalTracker(opts.maxRefusals);
  }

  /** The collector URL connected to, or tried next. */
  get collectorUrl(): string {
    return this.collectors.current;
  }

  /** Current state of the connection state machine. */
  get status(): State {
    return this.state;
  }

  /** Starts connecting (returns immediately). */
  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  /** Tells the client new events are in the spool. */
  notify(): void {
    if (this.state === 'streaming') void this.pump();
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const collector = this.collectorUrl;
    const delivery = this.collectors.deliveryTo(collector);
    const url = collector.replace(/^http/, 'ws').replace(/\/+$/, '') + '/v1/agent';
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      ...(this.ca ? { ca: this.ca } : {}),
      maxPayload: LIMITS.maxFrameBytes,
      handshakeTimeout: 15_000,
      perMessageDeflate: false,
      // A name with several addresses (one per collector) is tried address after address by Node's connect
      // (autoSelectFamily), so a refusing one costs one attempt, not a reconnect.
      ...(this.opts.lookup ? { lookup: this.opts.lookup } : {}),
    });
    this.ws = ws;
    ws.on('unexpected-response', (_req, res) => {
      this.lastError = `collector answered HTTP ${res.statusCode} to the agent connection`;
      if (res.statusCode === 401) {
        this.opts.log.error(
          'the collector refused this agent\'s token (revoked or unknown): re-enroll with "wuwatch-agent enroll"',
        );
        this.opts.onUnauthorized?.();
      } else {
        delivery.failed({
          key: `HTTP ${res.statusCode}`,
          fields: { status: res.statusCode },
          msg: 'collector refused the connection',
        });
      }
      ws.terminate();
    });
    ws.on('open', () => {
      this.alive = true;
      ws.send(
        encodeFrame({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          minProtocol: PROTOCOL_MIN_VERSION,
          agentId: this.opts.agentId,
          hostname: this.opts.hostname,
          osVersion: this.opts.osVersion,
          agentVersion: this.opts.agentVersion,
          mode: this.opts.mode,
        }),
      );
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('ping', () => (this.alive = true));
    // binaryType is ws's default, 'nodebuffer': every message arrives as one Buffer.
    ws.on('message', (raw) => void this.onFrame(ws, (raw as Buffer).toString('utf8')));
    ws.on('error', (err) => {
      this.lastError = err.message;
      delivery.failed({
        key: failureKey(err),
        fields: { err: err.message, url },
        msg: 'collector connection error',
      });
    });
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
  }

  private async onFrame(ws: WebSocket, text: string): Promise<void> {
    // A frame still arriving from a connection already replaced says nothing about the current one.
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = decodeCollectorFrame(text);
    } catch (err) {
      this.opts.log.error({ err }, 'collector sent an invalid frame; reconnecting');
      this.ws?.terminate();
      return;
    }
    if (frame.type === 'welcome') {
      // The collector may hold events our spool still has (ack lost in a crash, or a collector that died after
      // storing a batch): skip them. Streaming starts only after that, from where the collector is: a pump running
      // in between with the last session's position would send past the batches that session lost in flight, and
      // the collector, which acknowledges up to the highest seq it stored, would then never take them.
      if (frame.ackedSeq > this.queue.ackedSeq) await this.queue.ack(Math.min(frame.ackedSeq, this.queue.lastSeq));
      if (ws !== this.ws || this.state !== 'connecting') return;
      this.sentUpTo = Math.max(this.queue.ackedSeq, frame.ackedSeq);
      this.inFlight.clear();
      this.state = 'streaming';
      this.lastError = null;
      this.connectedAt = new Date();
      this.startHeartbeat();
      this.opts.onWelcome?.(frame.protocol);
      this.collectors.welcomed({ ackedSeq: frame.ackedSeq, pending: this.queue.lastSeq - this.sentUpTo });
      void this.pump();
    } else if (frame.type === 'ack') {
      this.inFlight.delete(frame.batchId);
      // Only a stored batch shows the collector is really back: a welcome alone does not reset the backoff.
      this.backoff.reset();
      this.refusals.acked(frame.upTo);
      if (frame.upTo > this.queue.ackedSeq) await this.queue.ack(Math.min(frame.upTo, this.queue.lastSeq));
      void this.pump();
    } else {
      this.lastError = `${frame.code}: ${frame.message}`;
      this.opts.log.error({ code: frame.code, message: frame.message }, 'collector reported a protocol error');
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      // The running pump may be on its way out (its connection ended while it read the spool): go round once more.
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.pumpSession();
      } while (this.pumpAgain && this.state === 'streaming');
    } catch (err) {
      this.opts.log.error({ err }, 'could not read the spool');
    } finally {
      this.pumping = false;
    }
  }

  /** Sends batches on the current connection while the in-flight window allows; stops if the connection changes. */
  private async pumpSession(): Promise<void> {
    const ws = this.ws;
    while (
      ws !== null &&
      this.ws === ws &&
      this.state === 'streaming' &&
      this.inFlight.size < this.opts.maxInFlight &&
      this.sentUpTo < this.queue.lastSeq
    ) {
      const maxEvents = this.refusals.maxEvents(this.sentUpTo, this.opts.batchMaxEvents);
      // Events of a refused batch go one at a time, and one batch at a time: the next refusal names its event.
      if (maxEvents === 1 && this.inFlight.size > 0) break;
      const events = await this.queue.peekRaw(this.sentUpTo, maxEvents, this.opts.batchMaxBytes);
      // Read for a connection that ended meanwhile: the next one's welcome decides where sending resumes.
      if (events.length === 0 || this.ws !== ws || this.state !== 'streaming' || ws.readyState !== WebSocket.OPEN)
        break;
      const id = ++this.batchId;
      const last = events[events.length - 1]!.seq;
      this.inFlight.set(id, { first: events[0]!.seq, last });
      this.sentUpTo = last;
      // A text frame, like every other: the bytes are JSON.
      ws.send(rawBatchFrame(id, events), { binary: false });
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (!this.ws) return;
      if (!this.alive) {
        this.opts.log.warn('collector missed a heartbeat; reconnecting');
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private onClose(code: number, reason: string): void {
    this.stopHeartbeat();
    this.ws = null;
    // Closed for a batch it could not store (1011) or a protocol error (1008): the first batch not acknowledged.
    const closedForRefusal = code === 1011 || code === 1008;
    const refused = closedForRefusal ? this.inFlight.values().next().value : undefined;
    this.inFlight.clear();
    if (this.state === 'stopped') return;
    if (code !== 1000 && code !== 1005) this.lastError ??= `closed ${code} ${reason}`;
    const delay = this.backoff.fail();
    // A session that was streaming says it ended; a connection attempt that failed was already logged (once).
    const level = this.state === 'streaming' ? 'info' : 'debug';
    this.state = 'backoff';
    const { collector, next, sessionMs } = this.collectors.ended({ refused: closedForRefusal });
    this.opts.log[level](
      { collector, code, reason, retryInMs: delay, next, sessionMs },
      'disconnected from collector; will reconnect',
    );
    void (async () => {
      if (refused !== undefined) await this.onRefused(refused, code, reason);
      if (this.state !== 'backoff') return;
      this.timer = setTimeout(() => this.connect(), delay);
      this.timer.unref();
    })();
  }

  // An event refused on its own `maxRefusals` times goes to the spool's set-aside area, before the reconnect.
  private async onRefused(range: SeqRange, code: number, reason: string): Promise<void> {
    const verdict = this.refusals.refused(range);
    if (verdict.action !== 'set_aside') return;
    const why = `the collector refused it ${this.opts.maxRefusals} times (closed ${code} ${reason})`;
    try {
      const file = await this.queue.setAside(verdict.seq, why);
      this.refusals.acked(verdict.seq);
      this.opts.log.warn(
        { seq: verdict.seq, refusals: this.opts.maxRefusals, code, reason, file },
        'event set aside: the collector refuses to store it; delivery goes on with the next events',
      );
    } catch (err) {
      this.opts.log.error({ err, seq: verdict.seq }, 'could not set the refused event aside; it is sent again');
    }
  }

  /** Waits (bounded) until everything spooled so far is acknowledged. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.ackedSeq < this.queue.lastSeq && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.queue.ackedSeq >= this.queue.lastSeq;
  }

  /** Says goodbye (a graceful stop) and closes. Idempotent. */
  async stop(reason = 'agent stopping'): Promise<void> {
    if (this.state === 'stopped') return;
    const ws = this.ws;
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.stopHeartbeat();
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(encodeFrame({ type: 'goodbye', reason }));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 3000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(1000, 'agent stopping');
      });
    } else ws?.terminate();
  }
}
