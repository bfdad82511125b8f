// A simulated agent that streams like the real one (packages/agent/src/transport/client.ts): events 1..total sit in
// its "spool" until acknowledged, up to maxInFlight batches are outstanding, and after any disconnect it reconnects,
// says hello and resends everything after the welcome's ackedSeq. Shared by the ingest tests and bench/ingest.ts.
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type WireEvent } from '@wuwatch/core';

/** How a simulated agent connects and what it sends. */
export interface SimAgentOptions {
  wsUrl: string;
  token: string;
  agentId: string;
  hostname: string;
  /** Events 1..total; makeEvent(seq) must be deterministic (the spool returns the same event on resend). */
  total: number;
  makeEvent: (seq: number) => WireEvent;
  batchSize: number;
  maxInFlight: number;
  /** First reconnect delay; doubles up to 2 s, with jitter. */
  reconnectMs?: number;
  /** Called with the milliseconds between sending a batch and its ack. */
  onAckLatency?: (ms: number) => void;
  /** Batches wait for this after the welcome (the benchmark connects everyone first, then starts the clock). */
  startGate?: Promise<unknown>;
}

/** Counters a test or the benchmark reads after the run. */
export interface SimAgentStats {
  connects: number;
  batchesSent: number;
  eventsSent: number;
  acks: number;
  errors: string[];
}

interface Pending {
  upTo: number;
  sentAt: number;
}

/** One simulated agent; `run()` resolves once every event is acknowledged. */
export class SimAgent {
  /** Highest seq the collector has acknowledged (acks and welcomes). */
  ackedSeq = 0;
  readonly stats: SimAgentStats = { connects: 0, batchesSent: 0, eventsSent: 0, acks: 0, errors: [] };
  private ws: WebSocket | null = null;
  private sentUpTo = 0;
  private batchId = 0;
  private inFlight = new Map<number, Pending>();
  private streaming = false;
  private stopped = false;
  private failures = 0;
  private done!: () => void;
  private gateOpen: boolean;
  private markWelcomed!: () => void;
  /** Resolves at the first welcome. */
  readonly welcomed: Promise<void>;
  private readonly finished: Promise<void>;

  constructor(private readonly opts: SimAgentOptions) {
    this.finished = new Promise((resolve) => (this.done = resolve));
    this.welcomed = new Promise((resolve) => (this.markWelcomed = resolve));
    this.gateOpen = !opts.startGate;
    void opts.startGate?.then(() => {
      this.gateOpen = true;
      this.pump();
    });
  }

  /** Connects (and keeps reconnecting) until every event is acknowledged. */
  run(): Promise<void> {
    if (this.opts.total === 0) this.done();
    else this.connect();
    return this.finished;
  }

  /** True when the collector acknowledged every event. */
  get complete(): boolean {
    return this.ackedSeq >= this.opts.total;
  }

  /** Stops reconnecting and drops the socket (an incomplete run() then never resolves; runAll times out). */
  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  /** Closes the socket gracefully after completion. */
  close(): Promise<void> {
    this.stopped = true;
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'done');
    });
  }

  private connect(): void {
    if (this.stopped) return;
    this.streaming = false;
    const ws = new WebSocket(this.opts.wsUrl, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.stats.connects++;
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          agentId: this.opts.agentId,
          hostname: this.opts.hostname,
          osVersion: 'Windows Server 2012 R2',
          agentVersion: 'sim',
          mode: 'simulate',
        }),
      );
    });
    ws.on('message', (raw) => this.onFrame(raw.toString()));
    // Refused upgrades (a restarting collector answers 503, a dead one refuses the TCP connection) end in 'close'.
    ws.on('unexpected-response', (_req, res) => {
      this.stats.errors.push(`HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => this.stats.errors.push(err.message));
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.streaming = false;
      if (this.stopped || this.complete) return;
      const base = Math.min(2000, (this.opts.reconnectMs ?? 50) * 2 ** Math.min(this.failures++, 6));
      setTimeout(() => this.connect(), base / 2 + Math.random() * base);
    });
  }

  private onFrame(text: string): void {
    const f = JSON.parse(text) as { type: string; ackedSeq?: number; upTo?: number; batchId?: number; code?: string };
    if (f.type === 'welcome') {
      // The collector may hold more than we know (an ack lost in a crash): skip what it has, resend the rest.
      this.ackedSeq = Math.max(this.ackedSeq, f.ackedSeq ?? 0);
      this.sentUpTo = this.ackedSeq;
      this.inFlight.clear();
      this.streaming = true;
      this.failures = 0;
      this.markWelcomed();
      if (this.complete) this.done();
      else this.pump();
    } else if (f.type === 'ack') {
      const pending = this.inFlight.get(f.batchId ?? -1);
      this.inFlight.delete(f.batchId ?? -1);
      this.stats.acks++;
      if (pending) this.opts.onAckLatency?.(performance.now() - pending.sentAt);
      this.ackedSeq = Math.max(this.ackedSeq, f.upTo ?? 0);
      if (this.complete) this.done();
      else this.pump();
    } else if (f.type === 'error') {
      this.stats.errors.push(`${f.code}`);
    }
  }

  private pump(): void {
    const ws = this.ws;
    while (
      this.gateOpen &&
      this.streaming &&
      ws &&
      ws.readyState === WebSocket.OPEN &&
      this.inFlight.size < this.opts.maxInFlight &&
      this.sentUpTo < this.opts.total
    ) {
      const from = this.sentUpTo + 1;
      const to = Math.min(this.opts.total, this.sentUpTo + this.opts.batchSize);
      const events: WireEvent[] = [];
      for (let seq = from; seq <= to; seq++) events.push(this.opts.makeEvent(seq));
      const id = ++this.batchId;
      this.inFlight.set(id, { upTo: to, sentAt: performance.now() });
      this.sentUpTo = to;
      ws.send(JSON.stringify({ type: 'batch', batchId: id, events }));
      this.stats.batchesSent++;
      this.stats.eventsSent += events.length;
    }
  }
}

/** One SimAgent per enrolled agent, named `${hostPrefix}${i}`, all streaming as `options` say. */
export function simAgentsFor(
  wsUrl: string,
  creds: readonly { agentId: string; token: string }[],
  hostPrefix: string,
  options: Omit<SimAgentOptions, 'wsUrl' | 'token' | 'agentId' | 'hostname'>,
): SimAgent[] {
  return creds.map(
    (c, i) => new SimAgent({ ...options, wsUrl, token: c.token, agentId: c.agentId, hostname: `${hostPrefix}${i}` }),
  );
}

/** Runs agents to completion, failing with the laggards' state after `timeoutMs`. */
export async function runAll(agents: SimAgent[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const behind = agents.filter((a) => !a.complete);
      reject(new Error(`${behind.length} agents incomplete after ${timeoutMs} ms, e.g. acked ${behind[0]?.ackedSeq}`));
    }, timeoutMs);
  });
  try {
    await Promise.race([Promise.all(agents.map((a) => a.run())), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the database holds for one agent after a run: events stored, distinct and highest seq, seq acknowledged. */
export interface StoredSeqs {
  agent_id: string;
  n: number;
  distinct_seq: number;
  max_seq: number;
  acked: number;
}

/** Per agent (in id order) what was stored and acknowledged, to check that a run lost and doubled nothing. */
export async function storedSeqsPerAgent(db: {
  query(sql: string): Promise<{ rows: unknown[] }>;
}): Promise<StoredSeqs[]> {
  const { rows } = await db.query(
    `SELECT a.id AS agent_id, count(e.id)::int AS n, count(DISTINCT e.seq)::int AS distinct_seq,
       coalesce(max(e.seq), 0)::int AS max_seq, a.last_acked_seq::int AS acked
     FROM agents a LEFT JOIN events e ON e.agent_id = a.id GROUP BY a.id ORDER BY a.id`,
  );
  return rows as StoredSeqs[];
}
