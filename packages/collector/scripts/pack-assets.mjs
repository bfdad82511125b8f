// npm pack/publish hooks: the collector's tarball ships the database migrations and the licence, which live at the
// repository root (one copy, shared with the Prisma tooling). `copy` before packing, `clean` after, so the package
// folder never holds a second, stale copy while developing.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const assets = [
  ['prisma/migrations', 'prisma/migrations'],
  ['prisma/schema.prisma', 'prisma/schema.prisma'],
  ['LICENSE', 'LICENSE'],
];

const mode = process.argv[2];
if (mode === 'copy') {
  for (const [from, to] of assets) cpSync(root + from, pkg + to, { recursive: true });
} else if (mode === 'clean') {
  rmSync(pkg + 'prisma', { recursive: true, force: true });
  rmSync(pkg + 'LICENSE', { force: true });
} else {
  process.stderr.write('usage: node scripts/pack-assets.mjs copy|clean\n');
  process.exit(2);
}
