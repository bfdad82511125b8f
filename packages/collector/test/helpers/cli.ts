// Runs the `wuwatch` CLI in-process (main(argv, io)) with captured stdout and stderr.
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** Exit code and captured output of one run. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `wuwatch ARGS…` with the given environment. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  const code = await main(args, { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env });
  return { code, out, err };
}
