import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

interface ScriptRunner {
  executeScript(script: string): Promise<void>;
  /** Both adapters have it: maps a driver error to Prisma's DriverAdapterError. */
  onError(err: unknown): never;
}

/**
 * Makes every adapter from `factory` run a migration script as one multi-statement query, like Prisma's native
 * engine (an implicit transaction on PostgreSQL, so a failing migration leaves no half-applied DDL).
 * Needed on both sides: @prisma/adapter-pg 7.10 splits scripts on every ";" (breaking on semicolons in comments,
 * strings and function bodies), and pglite-prisma-adapter 0.7.2 does not await `exec`, so a failing migration was
 * recorded as applied and its error became an unhandled rejection.
 */
export function runScriptsWhole<F extends SqlMigrationAwareDriverAdapterFactory>(
  factory: F,
  run: (script: string) => Promise<unknown>,
): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const runner = adapter as unknown as ScriptRunner;
    runner.executeScript = async (script: string) => {
      try {
        await run(script);
      } catch (err) {
        runner.onError(err);
      }
    };
    return adapter;
  };
  return factory;
}
