/** `wuwatch serve` and `wuwatch migrate`: the only commands that touch the database directly. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { createRootLogger } from '../log/logger.js';
import { openDatabase } from '../db/index.js';
import { startCollector } from '../server.js';
import type { CliIo } from './io.js';

function configFrom(args: string[], io: CliIo) {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  return loadConfig({
    file: values.config,
    env: io.env,
    overrides: { ...(values.port ? { port: Number(values.port) } : {}), ...(values.host ? { host: values.host } : {}) },
  });
}

/** Runs the collector until SIGINT/SIGTERM, then shuts down gracefully. */
export async function serveCommand(args: string[], io: CliIo): Promise<number> {
  const config = configFrom(args, io);
  const log = createRootLogger(config.logLevel);
  const collector = await startCollector(config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'received signal');
      collector.close().then(resolve, (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/** Applies pending migrations and exits. */
export async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  const config = configFrom(args, io);
  const log = createRootLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  io.stdout.write(
    db.appliedMigrations.length ? `applied: ${db.appliedMigrations.join(', ')}\n` : 'database schema is up to date\n',
  );
  await db.close();
  return 0;
}
