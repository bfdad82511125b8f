// `npm run db:migrate`: applies pending prisma/migrations to DATABASE_URL, or, when it is unset, to the embedded
// PGlite database under WUWATCH_DATA_DIR (default .wuwatch-data), the same one the collector opens.
import { join } from 'node:path';
import { applyMigrations } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';

const url = process.env.DATABASE_URL;
const dataDir = process.env.WUWATCH_DATA_DIR ?? '.wuwatch-data';

async function run(): Promise<string[]> {
  if (url) return applyMigrations({ kind: 'postgres', url });
  const dir = join(dataDir, 'pglite');
  process.stdout.write(`DATABASE_URL is not set: migrating the embedded PGlite database in ${dir}\n`);
  const db = await openPglite(dir);
  try {
    return await applyMigrations({ kind: 'pglite', db });
  } finally {
    await db.close();
  }
}

try {
  const started = Date.now();
  const applied = await run();
  const took = `${Date.now() - started} ms`;
  if (applied.length === 0) process.stdout.write(`database schema is up to date (${took})\n`);
  else
    process.stdout.write(
      `applied ${applied.length} migration(s) in ${took}:\n${applied.map((n) => `  ${n}\n`).join('')}`,
    );
} catch (err) {
  process.stderr.write(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
