/**
 * Per-event admission (issue 14): before a batch's transaction, each event is sanitised, checked against the
 * protocol schemas and its kind's data schema, its time checked against a window around now, and a `policy`
 * payload dry-run through the assessor. What passes is stored; what cannot be stored is quarantined with its
 * reason and raw JSON and still acknowledged, so one poison event never blocks an agent.
 */
import { AuValuesSchema, checkEventData, WindowsUpdateValuesSchema, WireEvent } from '@wuwatch/core';
import * as z from 'zod';
import type { PolicyAssessor } from '../machines/projection.js';
import { sanitiseJson } from './sanitise.js';

/** Why an event was quarantined (a bounded set, used as the metric label). */
export type QuarantineClass = 'schema' | 'data' | 'time' | 'policy' | 'database';

/** An event set aside instead of stored. */
export interface QuarantinedEvent {
  seq: number;
  kind: string | null;
  class: QuarantineClass;
  reason: string;
  /** The event as received, as JSON text (escapes keep NUL and lone surrogates storable in a text column). */
  raw: string;
}

/** The admitted (clean) events of a batch and the quarantined ones. */
export interface Admission {
  events: WireEvent[];
  quarantined: QuarantinedEvent[];
  /** Events whose strings were sanitised. */
  sanitised: number;
  /** Events whose time lay in the future beyond the allowed skew and was replaced by the receive time. */
  clamped: number;
}

/** The window event times must fall in. */
export interface AdmissionOptions {
  maxFutureSkewMs: number;
  maxEventAgeMs: number;
}

/** Most characters of raw JSON kept for a quarantined event (a frame is at most 1 MiB; the reason matters more). */
export const QUARANTINE_RAW_MAX = 64 * 1024;

// Lenient on purpose: older agents send fewer policy values; what matters is that present values have their type.
const PolicyPayload = z.object({
  keys: z.object({ windowsUpdate: z.boolean(), au: z.boolean() }).optional(),
  windowsUpdate: WindowsUpdateValuesSchema.partial(),
  au: AuValuesSchema.partial(),
  other: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

function firstIssue(err: z.ZodError, prefix: string): string {
  const i = err.issues[0];
  return i ? `${prefix}${i.path.join('.') || '(root)'}: ${i.message}` : `${prefix}invalid`;
}

function rawJson(event: unknown): string {
  const json = JSON.stringify(event) ?? 'null';
  return json.length > QUARANTINE_RAW_MAX ? `${json.slice(0, QUARANTINE_RAW_MAX)}…[truncated]` : json;
}

/** Checks a `policy` event's payload: its shape, and that the assessor can assess it; null when fine. */
export function policyProblem(data: Record<string, unknown>, assessor: PolicyAssessor): string | null {
  const shape = PolicyPayload.safeParse(data.policy);
  if (!shape.success) return firstIssue(shape.error, 'policy.');
  try {
    assessor.assess(data.policy);
    return null;
  } catch (err) {
    return `policy cannot be assessed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Admits each event of a batch envelope (see the module comment); pure apart from the injected assessor. */
export function admitEvents(
  events: readonly { seq: number }[],
  now: Date,
  opts: AdmissionOptions,
  assessor: PolicyAssessor,
): Admission {
  const out: Admission = { events: [], quarantined: [], sanitised: 0, clamped: 0 };
  const nowMs = now.getTime();
  for (const original of events) {
    const kindOf = (original as { kind?: unknown }).kind;
    const kind = typeof kindOf === 'string' ? kindOf.slice(0, 64) : null;
    const quarantine = (cls: QuarantineClass, reason: string) =>
      out.quarantined.push({
        seq: original.seq,
        kind,
        class: cls,
        reason: reason.slice(0, 1000),
        raw: rawJson(original),
      });
    const clean = sanitiseJson(original);
    if (clean.changed > 0) out.sanitised++;
    const parsed = WireEvent.safeParse(clean.value);
    if (!parsed.success) {
      quarantine('schema', firstIssue(parsed.error, ''));
      continue;
    }
    const e = parsed.data;
    const problem = checkEventData(e.kind, e.data);
    if (problem) {
      quarantine('data', problem);
      continue;
    }
    const t = Date.parse(e.time);
    if (!Number.isFinite(t) || t < nowMs - opts.maxEventAgeMs) {
      quarantine('time', `time ${e.time} is older than the ${Math.round(opts.maxEventAgeMs / 86_400_000)}-day window`);
      continue;
    }
    if (e.kind === 'policy') {
      const p = policyProblem(e.data, assessor);
      if (p) {
        quarantine('policy', p);
        continue;
      }
    }
    if (t > nowMs + opts.maxFutureSkewMs) {
      // The agent saw the event; only its clock is wrong. A far-future time would pin "latest" columns for ever.
      out.clamped++;
      out.events.push({ ...e, time: now.toISOString() });
      continue;
    }
    out.events.push(e);
  }
  return out;
}
