/**
 * The agent WebSocket endpoint (`/v1/agent`). Authentication happens in the HTTP upgrade (401 before any
 * WebSocket exists). Per connection: hello → welcome, then batches; hellos and batches of all sockets are written by
 * the ingest's group commit (ingest/group.ts: up to maxConcurrentWrites transactions, each carrying up to
 * maxBatchesPerWrite of them) and answered after commit. A socket is paused while its frame is being written, and a
 * frame is read only with one of maxConcurrentWrites × maxBatchesPerWrite slots, so a slow database stops reading
 * from sockets instead of buffering without bound.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import {
  decodeIncomingAgentFrame,
  encodeFrame,
  isWuwatchError,
  makeError,
  negotiateProtocol,
  type BatchEnvelope,
  type CollectorFrame,
  type Hello,
} from '@wuwatch/core';
import type { Logger } from 'pino';
import type { Database } from '../db/index.js';
import type { AuthStore } from '../auth/store.js';
import { bearerToken } from '../auth/tokens.js';
import type { BatchResult } from '../ingest/writer.js';
import { admitBatch } from '../ingest/ingest.js';
import { GroupWriter } from '../ingest/group.js';
import type { Admission, AdmissionOptions } from '../ingest/admission.js';
import { sanitiseJson } from '../ingest/sanitise.js';
import type { PolicyAssessor } from '../machines/projection.js';
import type { MachineService } from '../machines/refresh.js';
import type { Metrics } from '../api/metrics.js';
import { Semaphore } from './semaphore.js';

/** What the endpoint needs from the rest of the collector. */
export interface AgentEndpointDeps {
  db: Database;
  auth: AuthStore;
  log: Logger;
  metrics: Metrics;
  assessor: PolicyAssessor;
  /** Owner of machine rows: hello, disconnect and the status refresh go through it. */
  machines: MachineService;
  maxPayloadBytes: number;
  heartbeatMs: number;
  /** Write transactions at once (each a group of hellos and batches). */
  maxConcurrentWrites: number;
  /** Hellos and batches one write transaction carries at most (default 64). */
  maxBatchesPerWrite?: number;
  /** Called after a batch commits (alert evaluation for the changed machine). */
  onBatch?: (result: BatchResult) => void;
  /** A connection that sends nothing for this long is closed (default 10 s). */
  helloTimeoutMs?: number;
  /** Event time window of per-event admission (defaults: 30 days ahead, 3650 days back). */
  admission?: AdmissionOptions;
}

const DEFAULT_ADMISSION: AdmissionOptions = { maxFutureSkewMs: 30 * 86_400_000, maxEventAgeMs: 3650 * 86_400_000 };

interface Connection {
  ws: WebSocket;
  agentId: string;
  machineId: string | null;
  alive: boolean;
  graceful: boolean;
  queue: RawData[];
  busy: boolean;
  /** Replaced by a newer connection of the same agent: its close must not mark the machine disconnected. */
  superseded: boolean;
  /** Which heartbeat slice pings it (see beat()). */
  slice: number;
}

/**
 * The heartbeat runs in this many slices per interval, each pinging its share of the connections: pinging 10,000
 * sockets in one go is 10,000 socket writes in one event-loop turn (measured: 0.4 s at 5,000, during which no API
 * request, ack or welcome is answered). Each connection is still pinged, and checked, once per interval.
 */
const HEARTBEAT_SLICES = 10;

/** Close code for a connection replaced by a newer one of the same agent (4000–4999: application codes). */
export const CLOSE_SUPERSEDED = 4001;

const HELLO_TIMEOUT_MS = 10_000;

/** Serves agents over WebSocket; attach it to the HTTP server's `upgrade` event. */
export class AgentEndpoint {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  /** The newest connection of each agent (the one a newer connection supersedes). */
  private readonly byAgent = new Map<string, Connection>();
  /** Connections by heartbeat slice. */
  private readonly slices: Set<Connection>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set());
  private nextSlice = 0;
  private beatSlice = 0;
  /** Frames read and not yet answered (decoded, queued or being written): the memory bound between sockets and DB. */
  private readonly writes: Semaphore;
  /** The group commit every hello and batch goes through. */
  readonly writer: GroupWriter;
  private readonly heartbeat: NodeJS.Timeout;
  private state: 'open' | 'draining' | 'closed' = 'open';

  constructor(private readonly deps: AgentEndpointDeps) {
    // ws enforces twice our limit itself (close 1009); between the two we answer with a protocol error first.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes * 2, perMessageDeflate: false });
    const maxGroup = deps.maxBatchesPerWrite ?? 64;
    this.writes = new Semaphore(deps.maxConcurrentWrites * maxGroup);
    this.writer = new GroupWriter({
      db: deps.db,
      assessor: deps.assessor,
      machines: deps.machines,
      writers: deps.maxConcurrentWrites,
      maxGroup,
    });
    this.heartbeat = setInterval(() => this.beat(), deps.heartbeatMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
  }

  /** Agent ids with a live, greeted connection to this collector. */
  get agentIds(): string[] {
    return [...this.connections].filter((c) => c.machineId !== null).map((c) => c.agentId);
  }

  /** Number of agents connected to this collector. */
  get connectedCount(): number {
    return this.connections.size;
  }

  /** Handles an HTTP upgrade request for the agent path: authenticates, then upgrades or answers 401. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onAuthenticated?: () => void): Promise<void> {
    const reject = (status: number, body: string) => {
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    // Node's HTTP server stops watching the socket at 'upgrade' and ws starts only after authentication: a peer
    // resetting the connection in between would raise an unhandled 'error' and crash the collector.
    socket.on('error', () => socket.destroy());
    if (this.state !== 'open') return reject(503, '{"code":"WUW_SHUTTING_DOWN"}');
    const token = bearerToken(req.headers.authorization);
    let agentId: string | null;
    try {
      agentId = token ? await this.deps.auth.authenticateAgent(token) : null;
    } catch (err) {
      this.deps.log.error({ err }, 'agent authentication failed: database error');
      return reject(503, '{"code":"WUW_DATABASE"}');
    }
    if (!agentId) {
      const e = makeError('UNAUTHORIZED', [token ? 'agent token unknown or revoked' : 'no agent token']);
      this.deps.log.warn({ remote: req.socket.remoteAddress }, 'agent connection refused: bad or missing token');
      return reject(401, JSON.stringify({ code: e.code, message: e.message }));
    }
    const id = agentId;
    onAuthenticated?.();
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, id));
  }

  private accept(ws: WebSocket, agentId: string): void {
    const conn: Connection = {
      ws,
      agentId,
      machineId: null,
      alive: true,
      graceful: false,
      queue: [],
      busy: false,
      superseded: false,
      slice: this.nextSlice++ % HEARTBEAT_SLICES,
    };
    const log = this.deps.log.child({ agentId });
    // One live connection per agent (issue 14): the newest wins. A token holding many sockets gains nothing, and a
    // reconnecting agent's half-dead old socket cannot later mark the machine disconnected.
    const old = this.byAgent.get(agentId);
    if (old) {
      old.superseded = true;
      old.queue.length = 0;
      log.warn('agent opened a new connection; closing its older one');
      old.ws.close(CLOSE_SUPERSEDED, 'superseded by a newer connection');
    }
    this.connections.add(conn);
    this.byAgent.set(agentId, conn);
    this.slices[conn.slice]!.add(conn);
    const helloMs = this.deps.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    const helloTimer = setTimeout(() => {
      if (!conn.machineId)
        this.fail(conn, makeError('PROTOCOL_INVALID_FRAME', [`no hello within ${helloMs / 1000} s`]));
    }, helloMs);
    ws.on('pong', () => (conn.alive = true));
    ws.on('message', (data) => {
      // The agent has spoken: a hello still waiting for a write slot (a storm, a slow database) is not a missing one.
      clearTimeout(helloTimer);
      conn.queue.push(data);
      void this.pump(conn, log);
    });
    ws.on('error', (err) => log.warn({ err: err.message }, 'agent socket error'));
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.connections.delete(conn);
      this.slices[conn.slice]!.delete(conn);
      if (this.byAgent.get(agentId) === conn) this.byAgent.delete(agentId);
      this.deps.metrics.connectedAgents.set(this.connections.size);
      if (conn.machineId && !conn.superseded) {
        this.deps.machines
          .disconnect(agentId, conn.graceful)
          .catch((err: unknown) => log.warn({ err }, 'could not record disconnect'));
      }
    });
    this.deps.metrics.connectedAgents.set(this.connections.size);
  }

  private send(conn: Connection, frame: CollectorFrame): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(encodeFrame(frame));
  }

  private fail(conn: Connection, err: { code: string; message: string }): void {
    this.deps.metrics.protocolErrors.inc();
    this.send(conn, { type: 'error', code: err.code, message: err.message });
    conn.queue.length = 0;
    conn.ws.close(1008, err.code.slice(0, 100));
  }

  /** Processes queued frames one at a time; the socket is paused while a frame is in progress. */
  private async pump(conn: Connection, log: Logger): Promise<void> {
    if (conn.busy) return;
    conn.busy = true;
    conn.ws.pause();
    try {
      while (conn.queue.length > 0 && conn.ws.readyState === WebSocket.OPEN) {
        const raw = conn.queue.shift()!;
        // Take the write slot before decoding: a frame waiting behind a slow database stays one compact buffer
        // instead of a decoded batch, so memory is bounded by the slots, not by the number of connected agents.
        const release = await this.writes.acquire();
        try {
          if (conn.ws.readyState !== WebSocket.OPEN) break;
          await this.handleFrame(conn, raw, log);
        } finally {
          release();
        }
      }
    } catch (err) {
      this.deps.metrics.databaseErrors.inc();
      log.error({ err }, 'agent frame failed; closing so the agent retries');
      conn.queue.length = 0;
      conn.ws.close(1011, 'internal error');
    } finally {
      conn.busy = false;
      // Resume even when closing: the peer's close frame must still be read to finish the handshake.
      if (conn.ws.readyState !== WebSocket.CLOSED) conn.ws.resume();
    }
  }

  private async handleFrame(conn: Connection, raw: RawData, log: Logger): Promise<void> {
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
    let frame;
    try {
      frame = decodeIncomingAgentFrame(buf, this.deps.maxPayloadBytes);
    } catch (err) {
      if (isWuwatchError(err)) {
        log.warn({ code: err.code, reason: err.message }, 'protocol error from agent; closing');
        return this.fail(conn, err);
      }
      throw err;
    }
    if (frame.type === 'hello') return this.onHello(conn, frame, log);
    if (!conn.machineId) return this.fail(conn, makeError('PROTOCOL_INVALID_FRAME', ['the first frame must be hello']));
    if (frame.type === 'goodbye') {
      conn.graceful = true;
      log.info({ reason: frame.reason }, 'agent is stopping');
      return;
    }
    await this.onBatch(conn, frame, log);
  }

  private async onHello(conn: Connection, raw: Hello, log: Logger): Promise<void> {
    if (conn.machineId) return this.fail(conn, makeError('PROTOCOL_INVALID_FRAME', ['hello sent twice']));
    // Hostname and versions are shown in tables, e-mails and terminals and stored as text: no NUL, no control codes.
    const hello = sanitiseJson(raw).value;
    const { machineId, ackedSeq } = await this.writer.hello(conn.agentId, hello);
    conn.machineId = machineId;
    log.info({ hostname: hello.hostname, mode: hello.mode, ackedSeq }, 'agent connected');
    // Decoding already checked that the ranges overlap; the welcome names the version chosen.
    this.send(conn, { type: 'welcome', protocol: negotiateProtocol(hello), ackedSeq });
  }

  private async onBatch(conn: Connection, batch: BatchEnvelope, log: Logger): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      const admission = this.admit(batch);
      const result = await this.writer.batch(conn.agentId, admission);
      this.deps.metrics.eventsIngested.inc(result.inserted);
      this.deps.metrics.eventsSanitised.inc(admission.sanitised);
      this.deps.metrics.eventTimesClamped.inc(admission.clamped);
      for (const q of admission.quarantined) this.deps.metrics.eventsQuarantined.inc({ class: q.class });
      if (admission.quarantined.length > 0) {
        log.warn(
          { quarantined: admission.quarantined.map((q) => ({ seq: q.seq, class: q.class, reason: q.reason })) },
          'agent events quarantined (see wuwatch quarantine list); the rest of the batch is stored',
        );
      }
      if (admission.clamped > 0) log.warn({ clamped: admission.clamped }, 'event times in the future set to now');
      if (result.neverDelivered > 0) {
        this.deps.metrics.eventsNeverDelivered.inc(result.neverDelivered);
        log.warn(
          { neverDelivered: result.neverDelivered, upTo: result.upTo },
          "the agent's batch skips seqs it never delivered (set aside in its spool after repeated refusals, or lost)",
        );
      }
      this.deps.metrics.ingestLatency.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.send(conn, { type: 'ack', batchId: batch.batchId, upTo: result.upTo });
      this.deps.onBatch?.(result);
    } catch (err) {
      this.deps.metrics.databaseErrors.inc();
      log.error({ err }, 'batch not stored; closing so the agent resends it');
      // Nothing was acknowledged, so the agent keeps the batch in its spool and resends after reconnecting.
      conn.ws.close(1011, 'batch not stored');
    }
  }

  /** Per-event admission of a batch: the decoding and validation step, taken only with a write slot held. */
  private admit(batch: BatchEnvelope): Admission {
    return admitBatch(batch.events, this.deps.admission ?? DEFAULT_ADMISSION, this.deps.assessor);
  }

  /** One heartbeat slice: pings its connections and drops those that did not answer the previous ping. */
  private beat(): void {
    const slice = this.slices[this.beatSlice++ % HEARTBEAT_SLICES]!;
    for (const conn of slice) {
      // A busy connection is paused by us (its frame waits for the database), so its pongs are unread: that
      // silence is ours. Dropping it would make every agent queued in a reconnect storm reconnect and queue again.
      if (conn.busy) {
        conn.alive = true;
        continue;
      }
      if (!conn.alive) {
        this.deps.log.warn({ agentId: conn.agentId }, 'agent missed a heartbeat; dropping the connection');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Closes the live connection of a revoked agent. */
  disconnectAgent(agentId: string): void {
    for (const conn of this.connections) {
      if (conn.agentId === agentId) this.fail(conn, makeError('UNAUTHORIZED', ['agent token revoked']));
    }
  }

  /** Stops accepting, lets in-flight batches finish and be acknowledged, then closes every socket. Idempotent. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'draining';
    clearInterval(this.heartbeat);
    const deadline = Date.now() + timeoutMs;
    for (const c of this.connections) c.ws.pause();
    while ([...this.connections].some((c) => c.busy) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const c of this.connections) {
      c.ws.resume();
      c.ws.close(1001, 'collector shutting down');
    }
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.ws.terminate();
    this.wss.close();
    this.state = 'closed';
  }
}
