/** The CLI's view of the outside world, injected so commands are testable in-process. */
import type { Readable, Writable } from 'node:stream';

/** Streams and environment a command runs with. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/**
 * The process's real streams. Standard input and error are getters: Node builds those streams on first access (for a
 * pipe, with the net module), start-up work that `parse-log FILE`, which never reads stdin, need not pay (issue 15).
 */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Writes one line and waits for the stream to take it (so large NDJSON output respects backpressure). */
export function writeLine(out: Writable, line: string): Promise<void> | void {
  if (!out.write(line + '\n')) return new Promise((resolve) => out.once('drain', () => resolve()));
}

/** A usage error: printed as one line on stderr with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
