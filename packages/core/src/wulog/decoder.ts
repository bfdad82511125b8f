/**
 * Streaming line splitter for WindowsUpdate.log bytes. Chunks may be split anywhere (inside a UTF-8 sequence, between
 * CR and LF, inside the BOM); the output lines are the same as for the whole file.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { decodeCp1252 } from './cp1252.js';

/** Receives one decoded line without its terminator. */
export type LineHandler = (text: string) => void;

/** Receives the lines of a {@link LineDecoder}. */
export interface LineSink {
  /** One decoded line without its terminator. */
  line(text: string): void;
  /**
   * Optional fast path, called instead of {@link line} for lines inside a chunk: bytes `[byteStart, byteEnd)` of
   * `bytes` and characters `[charStart, charEnd)` of `text`, which usually hold a whole piece of the chunk (one
   * string per ~32 KiB instead of one per line). Lets a parser read the (ASCII) header as bytes and slice only what
   * it needs.
   */
  slice?(bytes: Buffer, byteStart: number, byteEnd: number, text: string, charStart: number, charEnd: number): void;
}

/** Adapts a plain function to {@link LineSink} (a class, so the decoder's call site stays monomorphic). */
class HandlerSink implements LineSink {
  constructor(readonly line: LineHandler) {}
}

/** Options of {@link LineDecoder}. */
export interface LineDecoderOptions {
  /**
   * Longest line kept, in bytes (default 1 MiB); the rest of a longer line is dropped so that a file without
   * newlines cannot grow memory without bound.
   */
  maxLineBytes?: number;
}

const LF = 0x0a;
// Bytes decoded into one string at a time (see emitRegion); well under V8's large-object threshold (128 KiB).
const PIECE_BYTES = 32 * 1024;
const CR = 0x0d;
const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** Decodes one line's bytes: UTF-8 when valid, otherwise Windows-1252 (the legacy log's ANSI code page). */
export function decodeLineBytes(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  const body = end === bytes.length ? bytes : bytes.subarray(0, end);
  return isUtf8(body) ? body.toString('utf8') : decodeCp1252(body);
}

/** Length of `bytes` without a UTF-8 sequence that the cut at its end left incomplete. */
function completeUtf8Length(bytes: Buffer): number {
  const len = bytes.length;
  for (let back = 1; back <= 4 && back <= len; back++) {
    const b = bytes[len - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? len - back : len;
  }
  return len;
}

/** What a {@link LineDecoder} holds between two chunks. */
export interface DecoderState {
  bytes: Buffer;
  truncated: boolean;
  bomPending: boolean;
}

/** Splits a byte stream into decoded lines; holds back a partial last line until more data or {@link end}. */
export class LineDecoder {
  private readonly sink: LineSink;
  private readonly maxLineBytes: number;
  /** Window over which one UTF-8 check and one string conversion are made; never larger than a kept line. */
  private readonly window: number;
  private carry: Buffer[] = [];
  private carryLen = 0;
  private truncated = false;
  private head: Buffer | null = null;
  private bomChecked = false;

  constructor(sink: LineHandler | LineSink, options: LineDecoderOptions = {}) {
    this.sink = typeof sink === 'function' ? new HandlerSink(sink) : sink;
    this.maxLineBytes = Math.max(4, Math.floor(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES));
    this.window = this.maxLineBytes;
  }

  /** Feeds the next chunk; calls the handler for every line it completes. */
  push(chunk: Uint8Array): void {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!this.bomChecked) {
      if (this.head !== null) buf = Buffer.concat([this.head, buf]);
      this.head = null;
      if (buf.length < 3 && isBomPrefix(buf)) {
        this.head = Buffer.from(buf); // copy: the caller may reuse its buffer
        return;
      }
      this.bomChecked = true;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    for (let off = 0; off < buf.length; off += this.window) {
      this.scan(off === 0 && buf.length <= this.window ? buf : buf.subarray(off, off + this.window));
    }
  }

  /** The partial line held back, whether it was cut at the limit, and whether a BOM may still come. */
  snapshot(): DecoderState {
    if (!this.bomChecked) return { bytes: Buffer.from(this.head ?? []), truncated: false, bomPending: true };
    return { bytes: Buffer.concat(this.carry, this.carryLen), truncated: this.truncated, bomPending: false };
  }

  /** Continues from a {@link snapshot}. */
  restore(state: DecoderState): void {
    this.bomChecked = !state.bomPending;
    this.head = state.bomPending ? Buffer.from(state.bytes) : null;
    this.carry = !state.bomPending && state.bytes.length > 0 ? [Buffer.from(state.bytes)] : [];
    this.carryLen = this.carry.length > 0 ? state.bytes.length : 0;
    this.truncated = state.truncated;
  }

  /** Flushes the last line when the input did not end with a newline. */
  end(): void {
    if (this.head !== null) {
      const head = this.head;
      this.head = null;
      this.bomChecked = true;
      if (head.length > 0) this.appendCarry(head);
    }
    if (this.carryLen > 0 || this.truncated) this.flushCarry();
  }

  private scan(buf: Buffer): void {
    let start = 0;
    if (this.carryLen > 0 || this.truncated) {
      const lf = buf.indexOf(LF);
      if (lf < 0) {
        this.appendCarry(buf);
        return;
      }
      this.appendCarry(buf.subarray(0, lf));
      this.flushCarry();
      start = lf + 1;
    }
    const lastLf = buf.lastIndexOf(LF);
    if (lastLf >= start) this.emitRegion(buf.subarray(start, lastLf));
    const restStart = lastLf >= start ? lastLf + 1 : start;
    if (restStart < buf.length) this.appendCarry(buf.subarray(restStart));
  }

  /**
   * Emits the complete lines of `region` (which excludes the final LF), in pieces of about {@link PIECE_BYTES}: one
   * string per chunk would be a large object to V8, which gets fresh pages (page faults) for each and frees them at
   * the next collection, where pieces this size are made in, and die in, the young generation.
   */
  private emitRegion(region: Buffer): void {
    let p = 0;
    while (region.length - p > PIECE_BYTES) {
      let cut = region.lastIndexOf(LF, p + PIECE_BYTES);
      if (cut < p) cut = region.indexOf(LF, p + PIECE_BYTES); // a line longer than a piece goes whole
      if (cut < 0) break;
      this.emitLines(region.subarray(p, cut));
      p = cut + 1;
    }
    this.emitLines(region.subarray(p));
  }

  /** Emits the lines of `region` (which excludes the final LF). */
  private emitLines(region: Buffer): void {
    const sink = this.sink;
    const fast = sink.slice !== undefined;
    // Latin-1 decoding is a plain copy and keeps string indices equal to byte indices, which is right for every
    // ASCII line; the rare line with a byte >= 0x80 is decoded on its own (UTF-8, else Windows-1252).
    const str = region.toString('latin1');
    let nonAscii = nextNonAscii(region, 0);
    let p = 0;
    for (;;) {
      const n = str.indexOf('\n', p);
      const e = n < 0 ? str.length : n;
      const end = e > p && region[e - 1] === CR ? e - 1 : e;
      if (nonAscii >= 0 && nonAscii < e) {
        // With its CR: decodeLineBytes drops one, as for a line that ends in the carry (a second CR stays text).
        const text = decodeLineBytes(region.subarray(p, e));
        if (fast) sink.slice!(region, p, end, text, 0, text.length);
        else sink.line(text);
        nonAscii = nextNonAscii(region, e);
      } else if (fast) {
        sink.slice!(region, p, end, str, p, end);
      } else {
        sink.line(str.slice(p, end));
      }
      if (n < 0) return;
      p = n + 1;
    }
  }

  private appendCarry(bytes: Buffer): void {
    if (this.truncated || bytes.length === 0) return;
    const room = this.maxLineBytes - this.carryLen;
    if (bytes.length > room) {
      bytes = bytes.subarray(0, room);
      this.truncated = true;
    }
    this.carry.push(Buffer.from(bytes)); // copy: the caller may reuse its buffer
    this.carryLen += bytes.length;
  }

  private flushCarry(): void {
    let line = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryLen);
    // A cut line must not end inside a character, or the whole line would fall back to cp1252.
    if (this.truncated) line = line.subarray(0, completeUtf8Length(line));
    this.carry = [];
    this.carryLen = 0;
    this.truncated = false;
    this.sink.line(decodeLineBytes(line));
  }
}

/** Bytes the first probe of {@link nextNonAscii} looks at: a few lines. */
const FIRST_PROBE = 256;

/**
 * Index of the first byte >= 0x80 at or after `from`, or -1. Probes windows that double in size from `from` with the
 * native (SIMD) isAscii, then bisects the window that holds one, instead of looping over every byte in JavaScript.
 * Growing from `from` keeps the cost proportional to the distance to the next such byte: checking the whole rest of
 * the region each time made a region whose every line has a non-ASCII character quadratic (3× slower than ASCII).
 */
function nextNonAscii(buf: Buffer, from: number): number {
  const end = buf.length;
  let lo = from;
  let step = FIRST_PROBE;
  let hi = Math.min(end, lo + step);
  while (lo < end && isAscii(buf.subarray(lo, hi))) {
    lo = hi;
    step *= 2;
    hi = Math.min(end, lo + step);
  }
  if (lo >= end) return -1;
  while (hi - lo > 64) {
    const mid = (lo + hi) >>> 1;
    if (isAscii(buf.subarray(lo, mid))) lo = mid;
    else hi = mid;
  }
  for (let i = lo; i < hi; i++) if (buf[i]! >= 0x80) return i;
  return -1;
}

/** True while the bytes seen so far could still be the start of a UTF-8 BOM. */
function isBomPrefix(buf: Buffer): boolean {
  return (buf.length < 1 || buf[0] === 0xef) && (buf.length < 2 || buf[1] === 0xbb);
}
