/**
 * On-disk frame of one spooled record: `u32 LE payload length | u32 LE crc32 | payload`, payload being the
 * UTF-8 JSON of an event `{seq, time, kind, data}` or of a producer's cursor `{"cursor":gen,…}` (see cursor.ts).
 * The checksum covers the length bytes too, so a flipped length is caught even when it happens to point at
 * another plausible frame boundary.
 */
import zlib from 'node:zlib';
import { EventKind } from '@wuwatch/core';
import type { WireEvent } from '@wuwatch/core';
import { isCursorPayload, parseCursorPayload } from './cursor.js';
import type { CursorRecord } from './cursor.js';

/** Bytes before the payload: length and checksum. */
export const FRAME_HEADER_BYTES = 8;

/**
 * Largest payload a frame may claim. Events are capped well below this (64 KiB of data), so a bigger length
 * can only be garbage; refusing it early stops a torn header from making the reader wait for megabytes.
 */
export const MAX_FRAME_PAYLOAD_BYTES = 1024 * 1024;

/** CRC-32 (IEEE, as zlib) of `data`, continuing from `previous` (0 to start); native since Node 22.2. */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlib.crc32(data, previous);
}

/** Checksum stored in a frame: CRC-32 over the 4 length bytes followed by the payload. */
export function frameChecksum(lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthBytes));
}

/**
 * The JSON of an event after its seq: `"time":…,"kind":…,"data":…}`. Built before the seq is known (outside
 * the append lock); {@link encodeFrameBody} prepends `{"seq":N,` to make the payload.
 */
export function eventBody(time: string, kind: EventKind, dataJson: string): string {
  return `"time":${JSON.stringify(time)},"kind":${JSON.stringify(kind)},"data":${dataJson}}`;
}

/** Size of the frame {@link encodeFrameBody} makes for `seq` and a body of `bodyBytes` UTF-8 bytes. */
export function frameSize(seq: number, bodyBytes: number): number {
  return FRAME_HEADER_BYTES + 8 + String(seq).length + bodyBytes; // 8: `{"seq":` and `,`
}

/** Encodes a frame from a seq and an {@link eventBody}. */
export function encodeFrameBody(seq: number, body: string): Buffer {
  return encodePayload(Buffer.from(`{"seq":${seq},${body}`, 'utf8'));
}

/** Wraps a payload (an event's or a cursor's JSON) in a frame: length, checksum, payload. */
export function encodePayload(payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD_BYTES) throw new RangeError(`frame payload of ${payload.length} bytes`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(frameChecksum(frame.subarray(0, 4), payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Encodes the frames of `bodies` (each an {@link eventBody} of `bodyBytes[i]` UTF-8 bytes), numbered from
 * `firstSeq`, into one buffer, as {@link encodeFrameBody} would one by one; `frameBytes` receives each frame's
 * size. One allocation for the whole batch instead of three per event.
 */
export function encodeFrameBodies(
  firstSeq: number,
  bodies: readonly string[],
  bodyBytes: readonly number[],
  frameBytes: number[],
): Buffer {
  let total = 0;
  for (let i = 0; i < bodies.length; i++) total += frameSize(firstSeq + i, bodyBytes[i] as number);
  // Four spare bytes (the longest UTF-8 character): a body longer than its byte count then always writes past
  // it, so a wrong count is caught below whichever frame it is in.
  const buf = Buffer.allocUnsafe(total + 4);
  let pos = 0;
  for (let i = 0; i < bodies.length; i++) {
    const prefix = `{"seq":${firstSeq + i},`;
    const length = prefix.length + (bodyBytes[i] as number);
    if (length > MAX_FRAME_PAYLOAD_BYTES) throw new RangeError(`frame payload of ${length} bytes`);
    const payloadAt = pos + FRAME_HEADER_BYTES;
    buf.writeUInt32LE(length, pos);
    buf.write(prefix, payloadAt, 'latin1');
    const written = buf.write(bodies[i] as string, payloadAt + prefix.length, 'utf8');
    // A wrong byte count would leave stale bytes inside a checksummed frame: refuse rather than store them.
    if (written !== bodyBytes[i]) throw new RangeError(`event body is ${written} bytes, not ${bodyBytes[i]}`);
    buf.writeUInt32LE(frameChecksum(buf.subarray(pos, pos + 4), buf.subarray(payloadAt, payloadAt + length)), pos + 4);
    frameBytes.push(FRAME_HEADER_BYTES + length);
    pos += FRAME_HEADER_BYTES + length;
  }
  return buf.subarray(0, total);
}

/** Encodes one already-numbered event as a frame. */
export function encodeFrame(event: WireEvent): Buffer {
  return encodeFrameBody(event.seq, eventBody(event.time, event.kind, JSON.stringify(event.data)));
}

/** Why a frame could not be decoded. `torn` means the bytes simply run out (a write cut short). */
export type FrameFault = 'torn' | 'bad_length' | 'bad_checksum' | 'bad_record';

/** A frame that did not decode, and why; `needBytes` (for `torn`) is the full frame size. */
export type FrameFailure = { readonly ok: false; readonly fault: FrameFault; readonly needBytes?: number };

/**
 * Outcome of decoding the frame that starts at some position of a buffer: an event as an `E`, or a cursor record
 * (which is not an event: readers of events step over it).
 */
export type Decoded<E> =
  | { readonly ok: true; readonly event: E; readonly cursor?: undefined; readonly frameBytes: number }
  | { readonly ok: true; readonly event?: undefined; readonly cursor: CursorRecord; readonly frameBytes: number }
  | FrameFailure;

/** Outcome of {@link decodeFrame}. */
export type DecodeResult = Decoded<WireEvent>;

const KINDS: ReadonlySet<string> = new Set<string>(EventKind.options);

/** Narrows parsed JSON to the stored record shape (checked cheaply: the checksum already vouches for bytes). */
function asRecord(value: unknown): WireEvent | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 1) return null;
  if (typeof v.time !== 'string' || typeof v.kind !== 'string' || !KINDS.has(v.kind)) return null;
  if (typeof v.data !== 'object' || v.data === null || Array.isArray(v.data)) return null;
  return { seq: v.seq, time: v.time, kind: v.kind as EventKind, data: v.data as Record<string, unknown> };
}

/** The header checks shared by both decoders: a length in range, the whole frame present, the checksum. */
function checkFrame(
  buf: Buffer,
  pos: number,
  end: number,
): { readonly ok: true; readonly frameBytes: number } | FrameFailure {
  if (end - pos < FRAME_HEADER_BYTES) return { ok: false, fault: 'torn', needBytes: FRAME_HEADER_BYTES };
  const length = buf.readUInt32LE(pos);
  // Zero-filled tails (a size extended before its data reached disk) would otherwise pass: crc32('') is 0.
  if (length < 2 || length > MAX_FRAME_PAYLOAD_BYTES) return { ok: false, fault: 'bad_length' };
  const frameBytes = FRAME_HEADER_BYTES + length;
  if (end - pos < frameBytes) return { ok: false, fault: 'torn', needBytes: frameBytes };
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + frameBytes);
  if (frameChecksum(buf.subarray(pos, pos + 4), payload) !== buf.readUInt32LE(pos + 4)) {
    return { ok: false, fault: 'bad_checksum' };
  }
  return { ok: true, frameBytes };
}

/**
 * Decodes the frame at `pos` in `buf`, looking no further than `end`. When the frame is cut by `end`, the
 * result is `torn` with `needBytes`, the full frame size, so a streaming reader can fetch more and retry.
 */
export function decodeFrame(buf: Buffer, pos: number, end: number = buf.length): DecodeResult {
  const checked = checkFrame(buf, pos, end);
  if (!checked.ok) return checked;
  const { frameBytes } = checked;
  const payload = buf.subarray(pos + FRAME_HEADER_BYTES, pos + frameBytes);
  if (isCursorPayload(payload)) return decodeCursor(payload, frameBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, fault: 'bad_record' };
  }
  const event = asRecord(parsed);
  return event === null ? { ok: false, fault: 'bad_record' } : { ok: true, event, frameBytes };
}

/** A stored event as its payload bytes: the JSON of `{seq, time, kind, data}`, ready to go on the wire. */
export interface RawEvent {
  readonly seq: number;
  readonly json: Buffer;
}

/** Outcome of {@link decodeFrameRaw}. */
export type RawDecodeResult = Decoded<RawEvent>;

const SEQ_PREFIX = Buffer.from('{"seq":', 'latin1');

/**
 * Like {@link decodeFrame} but without parsing the JSON: only the seq is read from the payload's fixed
 * `{"seq":N,` start. For reading back frames this spool wrote from validated events, and that opening it
 * decoded in full; the checksum vouches that the bytes are still those. `json` is a view into `buf`.
 */
export function decodeFrameRaw(buf: Buffer, pos: number, end: number = buf.length): RawDecodeResult {
  const checked = checkFrame(buf, pos, end);
  if (!checked.ok) return checked;
  const { frameBytes } = checked;
  const at = pos + FRAME_HEADER_BYTES;
  const stop = pos + frameBytes;
  if (isCursorPayload(buf.subarray(at, stop))) return decodeCursor(buf.subarray(at, stop), frameBytes);
  if (buf.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, at, Math.min(stop, at + SEQ_PREFIX.length)) !== 0) {
    return { ok: false, fault: 'bad_record' };
  }
  let seq = 0;
  let i = at + SEQ_PREFIX.length;
  for (; i < stop && i < at + SEQ_PREFIX.length + 16; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    seq = seq * 10 + d;
  }
  if (i === at + SEQ_PREFIX.length || buf[i] !== 0x2c || seq < 1 || !Number.isSafeInteger(seq)) {
    return { ok: false, fault: 'bad_record' };
  }
  return { ok: true, event: { seq, json: buf.subarray(at, stop) }, frameBytes };
}

function decodeCursor(payload: Buffer, frameBytes: number): Decoded<never> {
  const cursor = parseCursorPayload(payload);
  return cursor === null ? { ok: false, fault: 'bad_record' } : { ok: true, cursor, frameBytes };
}
