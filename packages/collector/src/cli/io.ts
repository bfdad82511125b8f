/** The CLI's view of the outside world, injected so commands are testable in-process. */
import type { Writable } from 'node:stream';

/** Streams and environment a command runs with. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** The process's real streams. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** A usage error: printed as one line on stderr with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
