/** Per-kind validation of an event's `data`, shared by the agent (before spooling) and the collector (before writing). */
import { z } from 'zod';
import { DetectionData, LIMITS, ProbeData, type EventKind } from './schemas.js';

const isoOrNull = z.iso.datetime({ offset: true }).nullable();

/** `wua`: Windows Update Agent API results (Microsoft.Update.AutoUpdate .Results), UTC. */
export const WuaData = z.object({
  lastSearchSuccessDate: isoOrNull,
  lastInstallationSuccessDate: isoOrNull,
});

/** `policy`: the machine's Windows Update policy as read from the registry (an UpdatePolicy object). */
export const PolicyData = z.object({ policy: z.record(z.string(), z.unknown()) });

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
  install: anyData,
  agent_started: anyData,
  agent_stopping: anyData,
};

/** Returns null when `data` is valid for `kind`, else a short description of the first problem. */
export function checkEventData(kind: EventKind, data: unknown): string | null {
  const size = Buffer.byteLength(JSON.stringify(data ?? null));
  if (size > LIMITS.maxEventDataBytes) return `data is ${size} bytes (limit ${LIMITS.maxEventDataBytes})`;
  const r = SCHEMAS[kind].safeParse(data);
  if (r.success) return null;
  const first = r.error.issues[0];
  return first ? `${first.path.join('.') || '(data)'}: ${first.message}` : 'invalid data';
}

export type WuaData = z.infer<typeof WuaData>;
export type PolicyData = z.infer<typeof PolicyData>;
export type SpoolDroppedData = z.infer<typeof SpoolDroppedData>;
