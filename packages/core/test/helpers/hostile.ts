// Generators and checks shared by the hostile-input property tests (wulog-hostile, policy-hostile).
import fc from 'fast-check';

/** Hostile pieces a line may carry: NULs, control codes, blanks runs, lone surrogates (as UTF-8 and cp1252 bytes). */
export const HOSTILE_SNIPPETS: readonly Buffer[] = [
  Buffer.alloc(16, 0), // NUL padding, as a log cut by a power loss leaves it
  Buffer.from('\r'),
  Buffer.from('\r\r\n'),
  Buffer.from('\t\t'),
  Buffer.from(' '.repeat(300)),
  Buffer.from('\x1b[31m\x07\x08'),
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate encoded as UTF-8 (invalid UTF-8)
  Buffer.from([0xc3]), // a cut UTF-8 sequence
  Buffer.from([0xef, 0xbb, 0xbf]), // a BOM in the middle
  Buffer.from([0xff, 0xfe]),
  Buffer.from('\u2028\u2029\uFEFF', 'utf8'),
  Buffer.from('😀é€', 'utf8'),
  Buffer.from([0x80, 0x9d, 0xa0, 0xff]),
  Buffer.from('0x'),
  Buffer.from('0x8024402C'),
  Buffer.from('{'),
  Buffer.from('}'),
  Buffer.from('"'),
  Buffer.from('\\'),
  Buffer.from('['),
  Buffer.from(']'),
  Buffer.from('='),
];

/** One edit of a byte buffer. */
export type Mutation =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'insert'; at: number; snippet: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'truncate'; at: number };

/** Random edits (positions are taken modulo the buffer's length when applied). */
export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), snippet: fc.nat(HOSTILE_SNIPPETS.length - 1) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 400 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  ),
  { maxLength: 12 },
);

/** `buf` with the edits applied in order. */
export function mutate(buf: Buffer, edits: readonly Mutation[]): Buffer {
  let b = buf;
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    switch (e.op) {
      case 'flip':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[at % b.length] = e.byte;
        }
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), HOSTILE_SNIPPETS[e.snippet]!, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.length)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + e.length), b.subarray(at)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

/** Text as UTF-16LE with a BOM, as PowerShell 5.1 redirection and regedit write it. */
export function utf16le(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** Every string anywhere in a JSON-like value. */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsIn(v, out);
    }
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` holds no lone UTF-16 surrogate (PostgreSQL's jsonb refuses one). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Milliseconds `fn` took, and what it returned or threw. */
export function timed<T>(fn: () => T): { ms: number; value?: T; error?: unknown } {
  const start = performance.now();
  try {
    const value = fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}
