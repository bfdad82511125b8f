// `npm run db:diff -- <name>`: creates prisma/migrations/<timestamp>_<name>/migration.sql from the difference
// between the existing migrations and prisma/schema.prisma (the offline stand-in for `prisma migrate dev`).
import { relative } from 'node:path';
import { diffMigration } from '../src/db/migrate.js';

const name = process.argv[2];
if (!name) {
  process.stderr.write('usage: npm run db:diff -- <migration_name>\n');
  process.exit(2);
}
try {
  const started = Date.now();
  const migration = await diffMigration(name);
  if (migration === null) {
    process.stdout.write('no changes: prisma/schema.prisma matches prisma/migrations\n');
  } else {
    process.stdout.write(`${migration.sql}\n`);
    process.stdout.write(`wrote ${relative(process.cwd(), migration.file)} in ${Date.now() - started} ms\n`);
    process.stdout.write('review it, then apply with "npm run db:migrate"\n');
  }
} catch (err) {
  process.stderr.write(`db:diff failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
