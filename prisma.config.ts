// Prisma CLI configuration (auto-discovered at the repo root). Only `prisma generate` is used: migrations go through
// the wasm schema engine (packages/collector/src/db/migrate.ts) because the native engine cannot be downloaded.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Not env('DATABASE_URL'): that throws when unset, even for `generate`, and v7 does not load .env files.
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
