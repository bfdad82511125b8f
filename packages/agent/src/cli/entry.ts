/** The agent process: runs the CLI on this process's arguments and sets the exit code. Bundled by `npm run build`. */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`wuwatch-agent: ${message}\n`);
    process.exitCode = 2;
  },
);
