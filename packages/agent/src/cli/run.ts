/** `wuwatch-agent run` (what the service runs) and `wuwatch-agent enroll`. */
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadAgentConfig } from '../config/load.js';
import { ensureEnrolled, enrollWithRetry } from '../enroll/enroll.js';
import { createSources } from '../sources/index.js';
import { processRunner } from '../platform/index.js';
import { Agent } from '../runtime/agent.js';
import type { CliIo } from './io.js';

const OPTIONS = {
  config: { type: 'string' },
  collector: { type: 'string' },
  'enroll-secret': { type: 'string' },
  secret: { type: 'string' },
  'state-dir': { type: 'string' },
  simulate: { type: 'string' },
  hostname: { type: 'string' },
  'log-level': { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

function configFrom(args: string[], io: CliIo) {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  const simulate = values.simulate;
  const config = loadAgentConfig({
    file: values.config,
    env: io.env,
    overrides: {
      collectorUrl: values.collector,
      enrollSecret: values['enroll-secret'] ?? values.secret,
      stateDir: values['state-dir'] ?? (simulate ? join(simulate, 'state') : undefined),
      simulateDir: simulate,
      hostname: values.hostname,
      logLevel: values['log-level'],
    },
  });
  return { config, force: values.force };
}

/** Runs the agent in the foreground until SIGINT/SIGTERM (a graceful drain). */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { config } = configFrom(args, io);
  const log = pino({
    level: config.logLevel,
    base: { service: 'wuwatch-agent' },
    redact: ['token', '*.token', 'enrollSecret', '*.enrollSecret'],
  });
  const hostname = config.hostname ?? osHostname();
  // Signals are taken from the start: a service stop must work while enrollment is still being retried.
  const stopping = new AbortController();
  let stopRequested: (signal: string) => void = () => undefined;
  const onSignal = (signal: string) => {
    log.info({ signal }, 'stopping');
    stopping.abort();
    stopRequested(signal);
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  // The agent's own timers are unref'd (they must not keep tests alive); the service process must stay up.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    let credentials;
    try {
      credentials = await enrollWithRetry(
        {
          collectorUrl: config.collectorUrl,
          enrollSecret: config.enrollSecret,
          stateDir: config.stateDir,
          hostname,
          caFile: config.caFile,
        },
        {
          signal: stopping.signal,
          onRetry: (err, delayMs) =>
            log.warn({ err: (err as Error).message, retryInMs: delayMs }, 'enrollment failed; retrying'),
        },
      );
    } catch (err) {
      if (stopping.signal.aborted) return 0;
      throw err;
    }
    const simulate = config.simulateDir !== undefined;
    const sources = createSources({
      platform: simulate ? 'simulate' : 'win32',
      ...(config.simulateDir ? { simulateDir: config.simulateDir } : {}),
      runner: processRunner(),
      stateDir: config.stateDir,
    });
    const logPath =
      config.logPath ??
      (simulate
        ? join(config.simulateDir!, 'WindowsUpdate.log')
        : join(io.env.SystemRoot ?? 'C:\\Windows', 'WindowsUpdate.log'));
    // Simulated logs are written in UTC; on Windows the log is in the machine's local time.
    const logOffsetMinutes = simulate ? 0 : -new Date().getTimezoneOffset();
    const agent = new Agent({ config, credentials, sources, log, logPath, logOffsetMinutes });
    await agent.start();
    if (!stopping.signal.aborted) await new Promise<void>((resolve) => (stopRequested = () => resolve()));
    try {
      await agent.stop();
    } catch (err) {
      log.error({ err }, 'stop failed');
    }
  } finally {
    clearInterval(keepAlive);
  }
  return 0;
}

/** Enrolls with the collector and stores the token in the state directory. */
export async function enrollCommand(args: string[], io: CliIo): Promise<number> {
  const { config, force } = configFrom(args, io);
  const c = await ensureEnrolled({
    collectorUrl: config.collectorUrl,
    enrollSecret: config.enrollSecret,
    stateDir: config.stateDir,
    hostname: config.hostname ?? osHostname(),
    caFile: config.caFile,
    force,
  });
  io.stdout.write(`enrolled as ${c.agentId}; token stored in ${config.stateDir}\n`);
  return 0;
}
