// An in-process CLI io whose stdout and stderr are captured, for running `main(argv, io)` in tests.
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

/** A CLI io with no stdin and an empty environment; `out()`/`err()` give what was written so far. */
export function capture(): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return { io: { stdout, stderr, stdin: Readable.from([]), env: {}, cwd: process.cwd() }, out: () => o, err: () => e };
}
