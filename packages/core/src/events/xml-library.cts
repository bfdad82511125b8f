/**
 * fast-xml-parser, loaded on first call. This one file is CommonJS so the load is a plain `require`: Node runs it
 * lazily, and esbuild (the agent's bundle) sees and bundles it, which `createRequire(import.meta.url)` would hide.
 * Only event mode reads XML, and the library's ESM build is some forty modules a log-mode agent (or the
 * collector) would otherwise keep resident.
 */
// typescript-eslint's type service does not resolve a type import with 'resolution-mode' (tsc does, and checks it).
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
type FastXmlParser = typeof import('fast-xml-parser', { with: { 'resolution-mode': 'import' } });

/** Returns the fast-xml-parser module, loading it on first use. */
function loadFastXmlParser(): FastXmlParser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the lazy require is this file's purpose
  return require('fast-xml-parser') as FastXmlParser;
}

export = { loadFastXmlParser };
