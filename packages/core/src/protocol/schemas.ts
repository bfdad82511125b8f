/**
 * The agent↔collector wire protocol (JSON text frames over WebSocket), as zod schemas.
 * Every event carries a per-agent sequence number: the collector stores `(agentId, seq)` once,
 * so an agent may resend anything not acknowledged and delivery is effectively exactly-once.
 */
import * as z from 'zod';
import { LIMITS } from './limits.js';

/**
 * Newest protocol version spoken by this build. A hello offers a range (`minProtocol`..`protocol`) and the
 * collector picks the newest version both speak ({@link negotiateProtocol}), so a collector accepts agents one
 * version ahead (they still speak its version) and any older one it still supports.
 * Version 2 adds the `source_state` kind ({@link KIND_MIN_PROTOCOL}); nothing else changed from 1.
 */
export const PROTOCOL_VERSION = 2;

/** Oldest protocol version this build still speaks. */
export const PROTOCOL_MIN_VERSION = 1;

export { LIMITS } from './limits.js';

/** An HRESULT as the wire carries it: `0x` and eight upper-case hex digits. */
export const HRESULT_PATTERN = /^0x[0-9A-F]{8}$/;

/** The pattern `z.iso.datetime({ offset: true })` checks event times with (zod's own, so fast checks agree). */
export const ISO_TIME_PATTERN: RegExp = z.regexes.datetime({ offset: true });

const hresult = z.string().regex(HRESULT_PATTERN);
const text = z.string().max(LIMITS.maxTextField);
const isoTime = z.iso.datetime({ offset: true });

/** Agent run modes: tailing the legacy text log, reading event channels, or a file-backed simulation. */
export const AgentMode = z.enum(['log', 'event', 'simulate']);

/** Kinds of event an agent reports. */
export const EventKind = z.enum([
  'detection',
  'settings',
  'network_error',
  'install',
  'policy',
  'probe',
  'wua',
  'spool_dropped',
  'agent_started',
  'agent_stopping',
  'source_state',
]);

/**
 * The protocol version that introduced each kind newer than version 1. A collector of an older version quarantines
 * a kind it does not know, so an agent sends such a kind only when the negotiated version (the `welcome`'s
 * `protocol`) is at least this ({@link kindSupported}).
 */
export const KIND_MIN_PROTOCOL: Readonly<Partial<Record<EventKind, number>>> = Object.freeze({ source_state: 2 });

/** True when a peer speaking `protocol` knows event kind `kind`. */
export function kindSupported(kind: EventKind, protocol: number): boolean {
  return protocol >= (KIND_MIN_PROTOCOL[kind] ?? 1);
}

/** Result classes of a WSUS probe. */
export const ProbeClass = z.enum([
  'ok',
  'dns',
  'refused',
  'timeout',
  'tls',
  'http_status',
  'invalid_url',
  'proxy_auth',
]);

/**
 * How a detection or install ended. `cancelled` (0x8024000B and the other interruption codes,
 * catalogue/outcome.ts) is neither a failure nor a success: it never counts towards a failure streak and never
 * refreshes "last successful detection". Agents before issue 15 never send it.
 */
export const WireDetectionOutcome = z.enum(['succeeded', 'failed', 'cancelled', 'unfinished']);

/**
 * Data of a `detection` event (from a log cycle or event 25/26). `start` null on a log detection means its START
 * was not in the text (attemptKey is then null). `serviceId`/`serviceName` (catalogue/services.ts) name the update
 * service scanned; absent in events of agents before issue 15, so optional.
 */
export const DetectionData = z.object({
  source: z.enum(['log', 'event']),
  /** A key that is the same whichever source saw the attempt, so both are counted once. */
  attemptKey: text.nullable(),
  outcome: WireDetectionOutcome,
  hresult: hresult.nullable(),
  caller: text.nullable(),
  managed: z.boolean().nullable(),
  serverUrl: text.nullable(),
  updatesFound: z.number().int().nullable(),
  line: z.number().int().nullable(),
  recordId: z.number().int().nullable(),
  serviceId: text.nullable().optional(),
  serviceName: text.nullable().optional(),
});

/**
 * Data of an `install` event: a log finding (with `line`) or an event 19/20 (with `recordId`, `channel`, `eventId`).
 * `kb`, `updateId` and `serviceId` came with issue 15 and are optional; other keys are kept as sent.
 */
export const InstallData = z.looseObject({
  outcome: z.enum(['succeeded', 'failed', 'cancelled']),
  hresult: hresult.nullable(),
  title: text.nullable(),
  kb: text.nullable().optional(),
  updateId: text.nullable().optional(),
  serviceId: text.nullable().optional(),
  line: z.number().int().nullable().optional(),
  recordId: z.number().int().nullable().optional(),
});

/** What an agent knows about one of its sources: `unavailable` means it could not find out (the tool is missing). */
export const SourceStateValue = z.enum(['enabled', 'disabled', 'unavailable']);

/**
 * Data of a `source_state` event (protocol 2): the state of one thing the agent reads, sent when the agent starts
 * and when the state changes. `source` says what kind of thing (`event_channel`: a Windows event channel, `name`
 * its name); `reason` is the agent's detail (e.g. which tool was missing), null when there is nothing to add.
 */
export const SourceStateData = z.object({
  source: z.enum(['event_channel']),
  name: text,
  state: SourceStateValue,
  reason: text.nullable(),
});

/** Data of a `probe` event: one WSUS reachability probe from the host. */
export const ProbeData = z.object({
  url: text,
  class: ProbeClass,
  ok: z.boolean(),
  httpStatus: z.number().int().nullable(),
  failedStep: z.enum(['url', 'dns', 'tcp', 'tls', 'http']).nullable(),
  hresult: hresult.nullable(),
  message: text.nullable(),
  steps: z.array(z.object({ step: z.string().max(32), ms: z.number().nonnegative(), ok: z.boolean() })).max(16),
});

/** One event in a batch. `data` is validated per kind by the collector's ingest. */
export const WireEvent = z.object({
  seq: z.number().int().positive(),
  time: isoTime,
  kind: EventKind,
  data: z.record(z.string(), z.unknown()),
});

/** First frame from the agent after the socket opens. */
export const Hello = z.object({
  type: z.literal('hello'),
  /** Newest protocol version the agent speaks. */
  protocol: z.number().int().positive(),
  /** Oldest version the agent still speaks (absent from agents before negotiation: only `protocol`). */
  minProtocol: z.number().int().positive().optional(),
  agentId: z.string().min(1).max(64),
  hostname: z.string().min(1).max(255),
  osVersion: text,
  agentVersion: z.string().max(64),
  mode: AgentMode,
});

/** A batch of events, written by the collector in one transaction. */
export const Batch = z.object({
  type: z.literal('batch'),
  batchId: z.number().int().nonnegative(),
  events: z.array(WireEvent).min(1).max(LIMITS.maxBatchEvents),
});

/**
 * A batch as framed, before its events are checked one by one: the collector needs only each event's `seq` (to
 * acknowledge it) to admit the rest event by event, so one bad event is set aside instead of refusing the batch.
 */
export const BatchEnvelope = z.object({
  type: z.literal('batch'),
  batchId: z.number().int().nonnegative(),
  events: z
    .array(z.looseObject({ seq: z.number().int().positive() }))
    .min(1)
    .max(LIMITS.maxBatchEvents),
});

/** The agent says it is stopping on purpose (a graceful stop is not a vanished agent). */
export const Goodbye = z.object({ type: z.literal('goodbye'), reason: text });

/** Frames the agent sends. */
export const AgentFrame = z.discriminatedUnion('type', [Hello, Batch, Goodbye]);

/** Frames as the collector first reads them: batches as envelopes, their events admitted one by one. */
export const IncomingAgentFrame = z.discriminatedUnion('type', [Hello, BatchEnvelope, Goodbye]);

/** Collector's answer to hello: the highest seq it has stored for this agent. */
export const Welcome = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int().positive(),
  ackedSeq: z.number().int().nonnegative(),
});

/** Sent after a batch is committed: every event with seq ≤ upTo is stored. */
export const Ack = z.object({
  type: z.literal('ack'),
  batchId: z.number().int().nonnegative(),
  upTo: z.number().int().nonnegative(),
});

/** A protocol error; the collector closes the socket after sending it. */
export const ProtocolError = z.object({
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
});

/** Frames the collector sends. */
export const CollectorFrame = z.discriminatedUnion('type', [Welcome, Ack, ProtocolError]);

export type AgentMode = z.infer<typeof AgentMode>;
export type EventKind = z.infer<typeof EventKind>;
export type ProbeClass = z.infer<typeof ProbeClass>;
export type DetectionData = z.infer<typeof DetectionData>;
export type WireDetectionOutcome = z.infer<typeof WireDetectionOutcome>;
export type InstallData = z.infer<typeof InstallData>;
export type ProbeData = z.infer<typeof ProbeData>;
export type SourceStateValue = z.infer<typeof SourceStateValue>;
export type SourceStateData = z.infer<typeof SourceStateData>;
export type WireEvent = z.infer<typeof WireEvent>;
export type Hello = z.infer<typeof Hello>;
export type Batch = z.infer<typeof Batch>;
export type BatchEnvelope = z.infer<typeof BatchEnvelope>;
export type IncomingAgentFrame = z.infer<typeof IncomingAgentFrame>;
export type Goodbye = z.infer<typeof Goodbye>;
export type AgentFrame = z.infer<typeof AgentFrame>;
export type Welcome = z.infer<typeof Welcome>;
export type Ack = z.infer<typeof Ack>;
export type ProtocolError = z.infer<typeof ProtocolError>;
export type CollectorFrame = z.infer<typeof CollectorFrame>;
