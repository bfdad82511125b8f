/**
 * Cursor records: where a producer (the log tail) stands, committed in the same append, the same write and the same
 * fsync as the events it produced up to there. So the spool is the one durable store of both, and what a producer
 * resumes from always matches what the spool holds.
 *
 * A cursor frame goes first in its append and says how many event frames follow it (`events`): if a crash cuts the
 * write short, opening the spool finds the append incomplete and cuts it whole, cursor and events together. `gen` numbers
 * cursors across the spool's life: the highest one found (in the segments or the meta file) is the latest.
 */
import { makeError } from '@wuwatch/core';

/** Largest payload a frame may claim (the same limit as frame.ts, kept here to avoid an import cycle). */
const MAX_FRAME_PAYLOAD_BYTES = 1024 * 1024;

/** A producer's cursor as stored: its generation, the events of its append, the producer's key and its value. */
export interface CursorRecord {
  readonly gen: number;
  /** Event frames that follow this cursor frame in the same append. */
  readonly events: number;
  readonly key: string;
  readonly value: Record<string, unknown>;
}

/** What an append may commit with its events: the producer's key and its cursor value (plain JSON). */
export interface CursorInput {
  readonly key: string;
  readonly value: Record<string, unknown>;
}

/** The latest cursor per producer key. */
export type Cursors = ReadonlyMap<string, CursorRecord>;

const PREFIX = Buffer.from('{"cursor":', 'latin1');
const KEY = /^[a-z][a-z0-9_-]{0,31}$/;

/** True when a frame payload is a cursor record rather than an event (events start with `{"seq":`). */
export function isCursorPayload(payload: Buffer): boolean {
  return payload.length > PREFIX.length && payload.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) === 0;
}

/** A cursor's value as JSON, checked; throws SPOOL_EVENT_INVALID for a key or value that cannot be stored. */
export function cursorValueJson(cursor: CursorInput): string {
  if (!KEY.test(cursor.key)) throw makeError('SPOOL_EVENT_INVALID', [`cursor key ${JSON.stringify(cursor.key)}`]);
  let value: string | undefined;
  try {
    value = JSON.stringify(cursor.value);
  } catch (err) {
    throw makeError('SPOOL_EVENT_INVALID', [`cursor ${cursor.key} is not JSON-serialisable`], undefined, err);
  }
  if (typeof value !== 'string' || !value.startsWith('{')) {
    throw makeError('SPOOL_EVENT_INVALID', [`cursor ${cursor.key} must be a JSON object`]);
  }
  // Room for the rest of the payload: a frame holding it must stay below the frame limit.
  if (Buffer.byteLength(value, 'utf8') > MAX_FRAME_PAYLOAD_BYTES - 128) {
    throw makeError('SPOOL_EVENT_INVALID', [`cursor ${cursor.key} is larger than a frame may be`]);
  }
  return value;
}

/** The payload of a cursor frame, from a value checked by {@link cursorValueJson}. */
export function cursorPayload(gen: number, events: number, key: string, valueJson: string): Buffer {
  return Buffer.from(`{"cursor":${gen},"events":${events},"key":${JSON.stringify(key)},"value":${valueJson}}`, 'utf8');
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks parsed JSON against the cursor record shape; null when it is not one. */
export function asCursorRecord(v: unknown): CursorRecord | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  const gen = r.cursor ?? r.gen;
  if (!isCount(gen) || gen < 1 || !isCount(r.events) || typeof r.key !== 'string' || !KEY.test(r.key)) return null;
  if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) return null;
  return { gen, events: r.events, key: r.key, value: r.value as Record<string, unknown> };
}

/** Parses a cursor frame payload; null when it does not hold a cursor record. */
export function parseCursorPayload(payload: Buffer): CursorRecord | null {
  try {
    return asCursorRecord(JSON.parse(payload.toString('utf8')));
  } catch {
    return null;
  }
}

/** Keeps, per key, the later of the cursors in `into` and `record` (by generation). */
export function keepLatest(into: Map<string, CursorRecord>, record: CursorRecord): void {
  const had = into.get(record.key);
  if (had === undefined || had.gen < record.gen) into.set(record.key, record);
}

/** Cursors as stored in the meta file: `{key: {gen, events, value}}`. */
export function cursorsToJson(cursors: Cursors): Record<string, { gen: number; events: number; value: unknown }> {
  const out: Record<string, { gen: number; events: number; value: unknown }> = {};
  for (const [key, r] of cursors) out[key] = { gen: r.gen, events: r.events, value: r.value };
  return out;
}

/** Reads cursors back from the meta file's JSON; undefined when the shape is wrong. */
export function cursorsFromJson(v: unknown): Map<string, CursorRecord> | undefined {
  const out = new Map<string, CursorRecord>();
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) return undefined;
  for (const [key, entry] of Object.entries(v as Record<string, unknown>)) {
    const r = asCursorRecord(typeof entry === 'object' && entry !== null ? { ...entry, key } : null);
    if (r === null) return undefined;
    out.set(key, r);
  }
  return out;
}
