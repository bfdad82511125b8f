import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The prisma/ directory (schema.prisma, migrations/). An installed package carries its own copy (npm pack copies it
 * into the package, see scripts/pack-assets.mjs); in the repository it is <repo>/prisma. Resolved from this file,
 * which sits at the same depth in src/db/ (tsx) and dist/db/ (built).
 */
export function defaultPrismaDir(): string {
  const shipped = fileURLToPath(new URL('../../prisma', import.meta.url));
  if (existsSync(`${shipped}/migrations`)) return shipped;
  return fileURLToPath(new URL('../../../../prisma', import.meta.url));
}
