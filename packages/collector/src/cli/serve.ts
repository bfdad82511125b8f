/** `wuwatch serve`, `wuwatch migrate` and `wuwatch config check`: the commands that work on the config directly. */
import { accessSync, constants } from 'node:fs';
import { makeError } from '@wuwatch/core';
import { loadConfig, redactConfig } from '../config/load.js';
import type { CollectorConfig } from '../config/schema.js';
import { createRootLogger } from '../log/logger.js';
import { openDatabase } from '../db/index.js';
import { startCollector } from '../server.js';
import type { CliIo } from './io.js';
import { EXIT, type CommandContext } from './spec.js';

function configFrom({ values, positionals, io }: CommandContext): Readonly<CollectorConfig> {
  const port = typeof values.port === 'string' ? values.port : undefined;
  if (port !== undefined && !/^\d+$/.test(port)) throw makeError('CONFIG_INVALID', [`--port ${port} is not a number`]);
  return loadConfig({
    file: (values.config as string | undefined) ?? positionals[0],
    env: io.env,
    overrides: {
      ...(port !== undefined ? { port: Number(port) } : {}),
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
    },
  });
}

/** Logs go to stderr, so stdout carries only what a command prints for people or scripts. */
function stderrLog(level: string, io: CliIo) {
  return createRootLogger(level, io.stderr);
}

/** Runs the collector until SIGINT/SIGTERM, then shuts down gracefully. */
export async function serveCommand(ctx: CommandContext): Promise<number> {
  const config = configFrom(ctx);
  const log = stderrLog(config.logLevel, ctx.io);
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
  return EXIT.OK;
}

/** Applies pending migrations and exits; one line for people on stdout, the log (warnings and up) on stderr. */
export async function migrateCommand(ctx: CommandContext): Promise<number> {
  const config = configFrom(ctx);
  // Info lines would repeat what the summary says; warnings and errors still reach stderr.
  const level = ctx.values.verbose === true ? 'debug' : config.logLevel === 'info' ? 'warn' : config.logLevel;
  const log = stderrLog(level, ctx.io);
  const db = await openDatabase({ databaseUrl: config.databaseUrl?.reveal(), dataDir: config.dataDir, log });
  try {
    const where = db.description;
    ctx.io.stdout.write(
      db.appliedMigrations.length
        ? `applied ${db.appliedMigrations.length} migration(s) to ${where}: ${db.appliedMigrations.join(', ')}\n`
        : `database schema is up to date (${where})\n`,
    );
  } finally {
    await db.close();
  }
  return EXIT.OK;
}

/** Validates a config (file, environment, flags) and prints the effective config with secrets redacted. */
export async function configCheckCommand(ctx: CommandContext): Promise<number> {
  const config = configFrom(ctx);
  const problems: string[] = [];
  if (config.tls) {
    for (const [key, file] of [
      ['tls.certFile', config.tls.certFile],
      ['tls.keyFile', config.tls.keyFile],
    ] as const) {
      try {
        accessSync(file, constants.R_OK);
      } catch {
        problems.push(`${key}: cannot read ${file}`);
      }
    }
  }
  if (problems.length > 0) throw makeError('CONFIG_INVALID', [problems.join('; ')]);
  const source = (ctx.values.config as string | undefined) ?? ctx.positionals[0] ?? ctx.io.env.WUWATCH_CONFIG;
  ctx.io.stderr.write(`config OK${source ? `: ${source}` : ' (defaults and environment only)'}\n`);
  ctx.io.stdout.write(JSON.stringify(redactConfig(config), null, 2) + '\n');
  return EXIT.OK;
}
