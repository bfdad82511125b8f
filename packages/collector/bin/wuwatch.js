#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled package (run `npm run build` first).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() maps every error to a line and an exit code; this is the last resort (exit 1: "failed").
    process.stderr.write(`wuwatch: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
