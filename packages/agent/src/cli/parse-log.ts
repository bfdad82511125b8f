/**
 * `wuwatch-agent parse-log FILE|- [--records]`: findings (or line records) of a WindowsUpdate.log as NDJSON.
 *
 * Kept fast from a cold start (issue 15: at least half the speed of a plain Node line split of the same file, in one
 * process each): it imports only the streaming log parser (`@wuwatch/core/wulog/stream`: not the whole core, and no
 * zod schema at all, not even the checkpoint's), reads the file synchronously into one reused buffer, and writes its
 * output in blocks, not a write per line.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { Writable } from 'node:stream';
import { WuLogStream, type Finding } from '@wuwatch/core/wulog/stream';
import { UsageError, type CliIo } from './io.js';

/**
 * V8 tuned for one pass over a file from a cold start. Most of a cold `parse-log`'s CPU time went to TurboFan compiling
 * the parser on background threads (as much CPU as the parse itself on the generated logs; a warm parse runs several
 * times faster than the first pass), and inlining is most of that work: every small helper is compiled again into each
 * hot caller. Without it the compiler's CPU time halves and the parsed code runs at the same warm speed (measured for
 * issue 15: generated legacy log 0.65 → 0.47 s CPU, the same 144 ms per 63 MB once warm). The resident agent keeps
 * V8's defaults: it parses for months, so compile time is nothing there. Read by the compiler at each compile, so
 * setting it before the first line is parsed is enough.
 */
const ONE_PASS_V8_FLAGS = '--no-turbo-inlining';

/** Bytes read at a time (one buffer, reused: the parser copies what it keeps of a chunk). */
const READ_BYTES = 256 * 1024;
/** Output gathered before one write. */
const WRITE_BYTES = 64 * 1024;

/**
 * The chunks of a file, read synchronously into one reused buffer. A command has nothing else to do meanwhile, and a
 * read stream's fresh buffer per chunk, thread-pool round trips and stream turns cost more CPU than the reads
 * themselves (profiled for issue 15). Each chunk is valid until the next one is read.
 */
function* fileChunks(path: string): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) yield n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** NDJSON lines gathered into blocks of about {@link WRITE_BYTES}, written with the stream's backpressure. */
class BlockWriter {
  private lines: string[] = [];
  private size = 0;

  constructor(private readonly out: Writable) {}

  /** Adds a line; true when a block is ready for {@link flush}. */
  add(line: string): boolean {
    this.lines.push(line);
    this.size += line.length + 1;
    return this.size >= WRITE_BYTES;
  }

  /** Writes what was gathered; resolves once the stream takes more. */
  flush(): Promise<void> | void {
    if (this.lines.length === 0) return;
    const block = this.lines.join('\n') + '\n';
    this.lines = [];
    this.size = 0;
    if (!this.out.write(block)) return new Promise((resolve) => this.out.once('drain', () => resolve()));
  }
}

/** Streams a log through the core parser and prints NDJSON in file order. */
export async function parseLogCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { records: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('expected one FILE (or - for standard input)');
  const path = positionals[0]!;
  setFlagsFromString(ONE_PASS_V8_FLAGS);
  const out = new BlockWriter(io.stdout);
  let full = false;
  // Findings are sparse (a few per cycle), so they are collected and sorted by line: a cycle's finding is
  // complete only at its END line, after findings that started later.
  const findings: Finding[] = [];
  const parser = new WuLogStream({
    onRecord: values.records
      ? (r) => {
          if (out.add(JSON.stringify(r))) full = true;
        }
      : undefined,
    onFinding: values.records ? undefined : (f) => findings.push(f),
  });
  try {
    const input: AsyncIterable<Buffer> | Iterable<Buffer> =
      path === '-' ? (io.stdin as AsyncIterable<Buffer>) : fileChunks(path);
    for await (const chunk of input) {
      parser.push(chunk);
      if (full) {
        full = false;
        await out.flush();
      }
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') {
      // Loaded only here: the whole core (and its schemas) is not needed to parse a log.
      const { makeError } = await import('@wuwatch/core');
      throw makeError('FILE_UNREADABLE', [path], { code }, err);
    }
    throw err;
  }
  parser.end();
  findings.sort((a, b) => a.line - b.line);
  for (const f of findings) if (out.add(JSON.stringify(f))) await out.flush();
  await out.flush();
  return 0;
}
