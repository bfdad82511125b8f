// Bundles the compiled agent (dist/cli/entry.js and what it imports: @wuwatch/core and the npm dependencies).
// Default: dist/bundle/, an ES module bundle with code splitting, which bin/wuwatch-agent.js and so the npm-installed
// agent run. One file instead of ~190 ES modules is what keeps the idle agent under its RSS budget; commands other
// than `run` are imported on demand, so they become separate chunks the resident agent never loads.
// `--sea`: dist/sea/wuwatch-agent.cjs, one CommonJS file with no splitting, which is what a Node single executable
// application can run (a SEA's main script is a CommonJS script and cannot import files beside it);
// packaging/windows/build.mjs injects it into node.exe.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const agentDir = fileURLToPath(new URL('..', import.meta.url));
const sea = process.argv.includes('--sea');
const outdir = sea ? 'dist/sea' : 'dist/bundle';
// esbuild never deletes: chunk names are content hashes, so every rebuild would leave the last build's chunks behind.
await rm(join(agentDir, outdir), { recursive: true, force: true });

const common = {
  absWorkingDir: agentDir,
  entryPoints: { 'wuwatch-agent': 'dist/cli/entry.js' },
  bundle: true,
  platform: 'node',
  target: 'node22',
  // Without comments the output is ASCII, so V8 holds each chunk's source as one byte per character, not two.
  minifyWhitespace: true,
  minifySyntax: true,
  // ws's optional native helpers: absent, ws uses its JavaScript fallbacks, as it does unbundled.
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
};

/**
 * `import … from 'node:x'` in an ES module makes Node build that built-in's ESM facade, which reads every export,
 * including the lazy getters Node defines for rarely used parts. node:http's `WebSocket`/`CloseEvent`/`MessageEvent`
 * load undici and compile its llhttp WebAssembly (~15 MB of idle RSS); node:crypto's `webcrypto` and node:dns's
 * `promises` (with the socket address and block list modules) load more of Node's own modules. The agent uses none of
 * them, and the resident agent kept them for life. `require` does not touch those getters, so the ESM bundle takes
 * every Node built-in through the bundle's `require` instead.
 */
const builtinsViaRequire = {
  name: 'node-builtins-via-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      args.namespace !== 'builtin-via-require' && isBuiltin(args.path)
        ? { path: args.path.startsWith('node:') ? args.path : `node:${args.path}`, namespace: 'builtin-via-require' }
        : undefined,
    );
    b.onResolve({ filter: /.*/, namespace: 'builtin-via-require' }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-via-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

if (sea) {
  await build({
    ...common,
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    splitting: false,
    // A SEA has no files beside its script to map stack traces with.
    sourcemap: false,
    // Tells the code it is the SEA bundle (import.meta.url is empty in CommonJS output).
    define: { 'import.meta.url': '"wuwatch-sea:"' },
  });
} else {
  await build({
    ...common,
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    format: 'esm',
    plugins: [builtinsViaRequire],
    sourcemap: true,
    // ws and pino are CommonJS and require Node's built-ins; an ES module bundle has no `require` of its own.
    banner: {
      js: "import { createRequire as __wuwatchCreateRequire } from 'node:module'; const require = __wuwatchCreateRequire(import.meta.url);",
    },
  });
}
