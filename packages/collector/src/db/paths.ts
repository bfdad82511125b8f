import { fileURLToPath } from 'node:url';

/**
 * The repository's prisma/ directory (schema.prisma, migrations/). Resolved from this file, which sits at the same
 * depth in src/db/ (tsx) and dist/db/ (built), so both find <repo>/prisma.
 */
export function defaultPrismaDir(): string {
  return fileURLToPath(new URL('../../../../prisma', import.meta.url));
}
