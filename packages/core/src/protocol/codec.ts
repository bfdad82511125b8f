/** Decoding of wire frames: size check, JSON, schema; every failure is a catalogued error. */
import { makeError } from '../errors/errors.js';
import {
  AgentFrame,
  CollectorFrame,
  IncomingAgentFrame,
  LIMITS,
  PROTOCOL_MIN_VERSION,
  PROTOCOL_VERSION,
} from './schemas.js';
import type {
  AgentFrame as AgentFrameT,
  CollectorFrame as CollectorFrameT,
  IncomingAgentFrame as IncomingAgentFrameT,
} from './schemas.js';
import type * as z from 'zod';

function decode<T>(schema: z.ZodType<T>, raw: string | Buffer, maxBytes: number): T {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > maxBytes) throw makeError('PROTOCOL_FRAME_TOO_LARGE', [`${size} bytes > ${maxBytes}`]);
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw makeError('PROTOCOL_INVALID_FRAME', ['not JSON']);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'schema mismatch';
    throw makeError('PROTOCOL_INVALID_FRAME', [where]);
  }
  return parsed.data;
}

/**
 * The version to speak with an agent whose hello offers `minProtocol`..`protocol`: the newest one both sides speak.
 * Throws WUW_PROTOCOL_VERSION naming both ranges when they do not overlap.
 */
export function negotiateProtocol(hello: { protocol: number; minProtocol?: number | undefined }): number {
  const agentMin = Math.min(hello.minProtocol ?? hello.protocol, hello.protocol);
  const chosen = Math.min(hello.protocol, PROTOCOL_VERSION);
  if (chosen < Math.max(agentMin, PROTOCOL_MIN_VERSION)) {
    throw makeError('PROTOCOL_VERSION', [
      `agent speaks ${agentMin}..${hello.protocol}, this collector ${PROTOCOL_MIN_VERSION}..${PROTOCOL_VERSION}`,
    ]);
  }
  return chosen;
}

/** Decodes and validates a frame sent by an agent; throws WUW_PROTOCOL_* errors. */
export function decodeAgentFrame(raw: string | Buffer, maxBytes: number = LIMITS.maxFrameBytes): AgentFrameT {
  const frame = decode(AgentFrame, raw, maxBytes);
  if (frame.type === 'hello') negotiateProtocol(frame);
  return frame;
}

/**
 * Decodes a frame sent by an agent for admission: hello and goodbye fully checked, a batch only as an envelope
 * (its events' shapes are left to the collector's per-event admission); throws WUW_PROTOCOL_* errors.
 */
export function decodeIncomingAgentFrame(
  raw: string | Buffer,
  maxBytes: number = LIMITS.maxFrameBytes,
): IncomingAgentFrameT {
  const frame = decode(IncomingAgentFrame, raw, maxBytes);
  if (frame.type === 'hello') negotiateProtocol(frame);
  return frame;
}

/** Decodes and validates a frame sent by the collector. */
export function decodeCollectorFrame(raw: string | Buffer): CollectorFrameT {
  return decode(CollectorFrame, raw, LIMITS.maxFrameBytes);
}

/** Serialises a frame for the wire. */
export function encodeFrame(frame: AgentFrameT | CollectorFrameT): string {
  return JSON.stringify(frame);
}
