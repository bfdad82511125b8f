/**
 * The load process of bench:fleet: one WebSocket per simulated agent (its own token), speaking the real protocol at
 * the real agent's cadence: hello, then a first batch (policy, probe, detection), a probe every PROBE_MS at a random
 * phase, and one more detection at a random moment of the hold. Unacknowledged events are resent after a reconnect
 * (from the welcome's ackedSeq), like the agent's spool. Ack latency is measured per batch from its send to its ack,
 * the first batch after the welcome included (it carries the events the agent made while connecting); the hello's own
 * wait (sent → welcome) is measured apart. Reads its job from the JSON file argv[2]; writes its result to
 * argv[3] when the hold ends (a file: megabytes through a pipe would be cut by the exit).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type WireEvent } from '@wuwatch/core';
import { detectionEvent, probe503, policyEvent, wsusPolicy } from '../../packages/collector/test/helpers/events.js';

interface Job {
  wsUrl: string;
  agents: { agentId: string; token: string }[];
  holdMs: number;
  probeMs: number;
  connectSpreadMs: number;
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Job;
const URL1 = 'http://wsus01.corp.example:8530';
const ackLatencies: number[] = [];
/** Hello sent → welcome received (the connect's own write, which ackLatencies does not contain). */
const welcomeLatencies: number[] = [];
let connected = 0;
let maxConnected = 0;
let eventsSent = 0;
let reconnects = 0;
const errors = new Map<string, number>();
let stopping = false;

class CadenceAgent {
  private ws: WebSocket | null = null;
  private readonly spool: WireEvent[] = [];
  private acked = 0;
  private sentUpTo = 0;
  private seq = 0;
  private batchId = 0;
  private readonly inFlight = new Map<number, { upTo: number; at: number }>();
  private open = false;
  private timers: NodeJS.Timeout[] = [];
  maxSeq = 0;
  /** Highest seq the collector acknowledged. */
  get ackedSeq(): number {
    return this.acked;
  }

  constructor(private readonly a: { agentId: string; token: string }) {}

  start(): void {
    const now = () => new Date().toISOString();
    this.add(policyEvent(++this.seq, now(), wsusPolicy(URL1)));
    this.add(probe503(++this.seq, now(), URL1));
    this.add(detectionEvent(++this.seq, now(), 'failed'));
    const phase = Math.random() * job.probeMs;
    this.timers.push(
      setTimeout(() => {
        this.add(probe503(++this.seq, now(), URL1));
        this.timers.push(setInterval(() => this.add(probe503(++this.seq, now(), URL1)), job.probeMs));
      }, phase),
      setTimeout(() => this.add(detectionEvent(++this.seq, now(), 'failed')), Math.random() * job.holdMs),
    );
    this.connect();
  }

  private add(e: WireEvent): void {
    if (stopping) return;
    this.spool.push(e);
    this.maxSeq = e.seq;
    eventsSent++;
    this.pump();
  }

  private connect(): void {
    if (stopping) return;
    const ws = new WebSocket(job.wsUrl, {
      headers: { authorization: `Bearer ${this.a.token}` },
      perMessageDeflate: false,
      handshakeTimeout: 60_000,
    });
    this.ws = ws;
    let helloAt = 0;
    ws.on('open', () => {
      helloAt = performance.now();
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          agentId: this.a.agentId,
          hostname: `fleet-${this.a.agentId}`,
          osVersion: 'Windows Server 2019',
          agentVersion: 'bench',
          mode: 'simulate',
        }),
      );
    });
    ws.on('message', (d) => {
      // binaryType is ws's default, 'nodebuffer': every message arrives as one Buffer.
      const f = JSON.parse((d as Buffer).toString('utf8')) as {
        type: string;
        ackedSeq?: number;
        upTo?: number;
        batchId?: number;
      };
      if (f.type === 'welcome') {
        welcomeLatencies.push(performance.now() - helloAt);
        this.open = true;
        connected++;
        maxConnected = Math.max(maxConnected, connected);
        this.acked = f.ackedSeq ?? 0;
        this.sentUpTo = this.acked;
        this.inFlight.clear();
        this.pump();
      } else if (f.type === 'ack' && f.batchId !== undefined) {
        const p = this.inFlight.get(f.batchId);
        if (p) ackLatencies.push(performance.now() - p.at);
        this.inFlight.delete(f.batchId);
        this.acked = Math.max(this.acked, f.upTo ?? 0);
        while (this.spool.length > 0 && this.spool[0]!.seq <= this.acked) this.spool.shift();
        this.pump();
      }
    });
    ws.on('error', (err) => errors.set(err.message, (errors.get(err.message) ?? 0) + 1));
    ws.on('close', () => {
      if (this.open) connected--;
      this.open = false;
      if (!stopping) {
        reconnects++;
        setTimeout(() => this.connect(), 500 + Math.random() * 1500);
      }
    });
  }

  private pump(): void {
    if (!this.open || this.inFlight.size > 0 || !this.ws) return;
    const batch = this.spool.filter((e) => e.seq > this.sentUpTo).slice(0, 100);
    if (batch.length === 0) return;
    const id = ++this.batchId;
    this.sentUpTo = batch.at(-1)!.seq;
    this.inFlight.set(id, { upTo: this.sentUpTo, at: performance.now() });
    this.ws.send(JSON.stringify({ type: 'batch', batchId: id, events: batch }));
  }

  /** Stops producing; waits up to `ms` for the spool to drain, then closes. */
  async finish(ms: number): Promise<number> {
    for (const t of this.timers) clearTimeout(t);
    const until = Date.now() + ms;
    while (this.spool.length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    return this.spool.length;
  }

  close(): void {
    this.ws?.close(1000, 'bench done');
  }
}

const agents = job.agents.map((a) => new CadenceAgent(a));
const started = performance.now();
for (const a of agents) setTimeout(() => a.start(), Math.random() * job.connectSpreadMs);
const connectTimes: number[] = [];
const tick = setInterval(() => connectTimes.push(connected), 1000);
await new Promise((r) => setTimeout(r, job.connectSpreadMs + job.holdMs));
const heldConnected = connected;
const unacked = await Promise.all(agents.map((a) => a.finish(60_000)));
stopping = true;
clearInterval(tick);
for (const a of agents) a.close();
await new Promise((r) => setTimeout(r, 2000));
writeFileSync(
  process.argv[3]!,
  JSON.stringify({
    agentsConnected: heldConnected,
    maxConnected,
    seconds: (performance.now() - started) / 1000,
    eventsSent,
    unackedAtEnd: unacked.reduce((s, n) => s + n, 0),
    ackLatencies,
    welcomeLatencies,
    reconnects,
    errors: Object.fromEntries([...errors].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    maxSeqs: Object.fromEntries(job.agents.map((a, i) => [a.agentId, agents[i]!.maxSeq])),
    ackedSeqs: Object.fromEntries(job.agents.map((a, i) => [a.agentId, agents[i]!.ackedSeq])),
  }),
);
process.exit(0);
