/** Per-kind validation of an event's `data`, shared by the agent (before spooling) and the collector (before writing). */
import * as z from 'zod';
import {
  DetectionData,
  EventKind,
  HRESULT_PATTERN,
  InstallData,
  ISO_TIME_PATTERN,
  LIMITS,
  ProbeData,
  SourceStateData,
} from './schemas.js';

const isoOrNull = z.iso.datetime({ offset: true }).nullable();

/** `wua`: Windows Update Agent API results (Microsoft.Update.AutoUpdate .Results), UTC. */
export const WuaData = z.object({
  lastSearchSuccessDate: isoOrNull,
  lastInstallationSuccessDate: isoOrNull,
});

/**
 * `policy`: the machine's Windows Update policy as read from the registry (an UpdatePolicy object) and, from agents
 * that read it, the MDM PolicyManager store (an MdmUpdatePolicy object; absent from older agents).
 */
export const PolicyData = z.object({
  policy: z.record(z.string(), z.unknown()),
  mdm: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** `spool_dropped`: the agent's spool was full and dropped its oldest events. */
export const SpoolDroppedData = z.object({
  dropped: z.number().int().nonnegative(),
  fromSeq: z.number().int().nonnegative(),
  toSeq: z.number().int().nonnegative(),
  reason: z.string().max(64),
});

const anyData = z.record(z.string(), z.unknown());

const SCHEMAS: Record<EventKind, z.ZodType> = {
  detection: DetectionData,
  probe: ProbeData,
  wua: WuaData,
  policy: PolicyData,
  spool_dropped: SpoolDroppedData,
  settings: anyData,
  network_error: anyData,
  install: InstallData,
  agent_started: anyData,
  agent_stopping: anyData,
  source_state: SourceStateData,
};

/*
 * Fast paths. Every event is validated where it is made (the agent's spool) and where it is stored (the
 * collector), tens of thousands a second during a backlog catch-up, and zod's general machinery costs several
 * microseconds per event. The checks below are plain code for the common kinds. Each is a *sufficient* condition
 * of its schema: `true` means the schema accepts the value; `false` only means "ask the schema", which then gives
 * the verdict and the message. So the verdicts are exactly zod's, and the schemas stay the one definition
 * (test/protocol-event-data.test.ts checks the implication on generated values).
 */

const KINDS: ReadonlySet<unknown> = new Set<unknown>(EventKind.options);
const SOURCES: ReadonlySet<unknown> = new Set<unknown>(DetectionData.shape.source.options);
const OUTCOMES: ReadonlySet<unknown> = new Set<unknown>(DetectionData.shape.outcome.options);
const INSTALL_OUTCOMES: ReadonlySet<unknown> = new Set<unknown>(InstallData.shape.outcome.options);

const isText = (v: unknown): boolean => typeof v === 'string' && v.length <= LIMITS.maxTextField;
const isTextOrNull = (v: unknown): boolean => v === null || isText(v);
const isIntOrNull = (v: unknown): boolean => v === null || Number.isSafeInteger(v);
const isHresultOrNull = (v: unknown): boolean => v === null || (typeof v === 'string' && HRESULT_PATTERN.test(v));
const isOptionalText = (v: unknown): boolean => v === undefined || isTextOrNull(v);
const isOptionalInt = (v: unknown): boolean => v === undefined || isIntOrNull(v);

/**
 * True when `v` is an object literal's kind of object whose own enumerable keys are all strings: what
 * `z.record(z.string(), z.unknown())` accepts (zod's plain-object test passes for Object.prototype objects
 * without an own `constructor`).
 */
function isStringRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.getPrototypeOf(v) === Object.prototype &&
    !Object.prototype.hasOwnProperty.call(v, 'constructor') &&
    Object.getOwnPropertySymbols(v).length === 0
  );
}

function isDetectionData(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const d = v as Record<string, unknown>;
  return (
    SOURCES.has(d.source) &&
    isTextOrNull(d.attemptKey) &&
    OUTCOMES.has(d.outcome) &&
    (d.hresult === null || (typeof d.hresult === 'string' && HRESULT_PATTERN.test(d.hresult))) &&
    isTextOrNull(d.caller) &&
    (d.managed === null || typeof d.managed === 'boolean') &&
    isTextOrNull(d.serverUrl) &&
    isIntOrNull(d.updatesFound) &&
    isIntOrNull(d.line) &&
    isIntOrNull(d.recordId) &&
    isOptionalText(d.serviceId) &&
    isOptionalText(d.serviceName)
  );
}

function isInstallData(v: unknown): boolean {
  if (!isStringRecord(v)) return false;
  return (
    INSTALL_OUTCOMES.has(v.outcome) &&
    isHresultOrNull(v.hresult) &&
    isTextOrNull(v.title) &&
    isOptionalText(v.kb) &&
    isOptionalText(v.updateId) &&
    isOptionalText(v.serviceId) &&
    isOptionalInt(v.line) &&
    isOptionalInt(v.recordId)
  );
}

const FAST_DATA: Partial<Record<EventKind, (data: unknown) => boolean>> = {
  detection: isDetectionData,
  settings: isStringRecord,
  network_error: isStringRecord,
  install: isInstallData,
  agent_started: isStringRecord,
  agent_stopping: isStringRecord,
};

/**
 * True when `event.time`, `event.kind` and `event.data` are what {@link WireEvent} accepts (seq aside); a fast,
 * sufficient check: false means "validate with the schema" (which gives the reason), not "invalid".
 */
export function isWireEventShape(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const e = event as Record<string, unknown>;
  return typeof e.time === 'string' && ISO_TIME_PATTERN.test(e.time) && KINDS.has(e.kind) && isStringRecord(e.data);
}

/**
 * Returns null when `data` is valid for `kind`, else a short description of the first problem. A caller that
 * already serialised the data passes `dataJson` (`JSON.stringify(data)`) to spare a second serialisation.
 */
export function checkEventData(kind: EventKind, data: unknown, dataJson?: string): string | null {
  const json = dataJson ?? JSON.stringify(data ?? null);
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so short JSON needs no byte count.
  if (json.length * 3 > LIMITS.maxEventDataBytes) {
    const size = Buffer.byteLength(json);
    if (size > LIMITS.maxEventDataBytes) return `data is ${size} bytes (limit ${LIMITS.maxEventDataBytes})`;
  }
  if (FAST_DATA[kind]?.(data) === true) return null;
  const r = SCHEMAS[kind].safeParse(data);
  if (r.success) return null;
  const first = r.error.issues[0];
  return first ? `${first.path.join('.') || '(data)'}: ${first.message}` : 'invalid data';
}

export type WuaData = z.infer<typeof WuaData>;
export type PolicyData = z.infer<typeof PolicyData>;
export type SpoolDroppedData = z.infer<typeof SpoolDroppedData>;
