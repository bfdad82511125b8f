// Bundles the compiled agent (dist/cli/entry.js and what it imports: @wuwatch/core and the npm dependencies) into
// dist/bundle/, which bin/wuwatch-agent.js and so the Windows service run. One file instead of ~190 ES modules is
// what keeps the idle agent under its 60 MB RSS budget (README, "Installing the agent on a Windows server").
// Commands other than `run` are imported on demand, so they become separate chunks the resident agent never loads.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const agentDir = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: agentDir,
  entryPoints: { 'wuwatch-agent': 'dist/cli/entry.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  // Without comments the output is ASCII, so V8 holds each chunk's source as one byte per character, not two.
  minifyWhitespace: true,
  minifySyntax: true,
  // ws and pino are CommonJS and require Node's built-ins; an ES module bundle has no `require` of its own.
  banner: {
    js: "import { createRequire as __wuwatchCreateRequire } from 'node:module'; const require = __wuwatchCreateRequire(import.meta.url);",
  },
  // ws's optional native helpers: absent, ws uses its JavaScript fallbacks, as it does unbundled.
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
});
