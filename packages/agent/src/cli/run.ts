/** `wuwatch-agent run` (what the service runs) and `wuwatch-agent enroll`. */
// OPTIONS is shared with files-mode.ts, which reads the same flags.
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { loadAgentConfig } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { ensureEnrolled, enrollWithRetry } from '../enroll/enroll.js';
import { createSources } from '../sources/index.js';
import { processRunner } from '../platform/index.js';
import { Agent, AGENT_VERSION } from '../runtime/agent.js';
import { failureKey, failureLog } from '../log/log-on-change.js';
import type { CliIo } from './io.js';
import { prettyDestination } from './pretty-log.js';

export const OPTIONS = {
  config: { type: 'string' },
  collector: { type: 'string' },
  'enroll-secret': { type: 'string' },
  secret: { type: 'string' },
  'state-dir': { type: 'string' },
  simulate: { type: 'string' },
  files: { type: 'string' },
  hostname: { type: 'string' },
  'log-level': { type: 'string' },
  pretty: { type: 'boolean', default: false },
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

/** Runs the agent in the foreground until SIGINT/SIGTERM (a graceful drain); `--files ROOT` runs files mode. */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.files !== undefined) return (await import('./files-mode.js')).runFilesMode(values, io);
  const { config } = configFrom(args, io);
  const hostname = config.hostname ?? osHostname();
  const log = rootLogger(config.logLevel, { hostname, pretty: values.pretty });
  return runUntilSignal(
    log,
    async (signal) => {
      const agent = await startAgent(config, hostname, log, signal, io.env);
      return agent ? [agent] : [];
    },
    config.metrics,
  );
}

/** Options of {@link rootLogger}. */
export interface RootLoggerOptions {
  /** The machine name on every line (default: the OS host name). */
  hostname?: string;
  /** One human-readable line per entry on stderr instead of JSON on stdout. */
  pretty?: boolean;
}

/** The process's one pino root logger: ISO times, the host name on every line, secrets redacted. */
export function rootLogger(level: string, opts: RootLoggerOptions = {}): Logger {
  const options = {
    level,
    base: { service: 'wuwatch-agent', hostname: opts.hostname ?? osHostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['token', '*.token', 'enrollSecret', '*.enrollSecret'],
  };
  return opts.pretty ? pino(options, prettyDestination(process.stderr)) : pino(options);
}

/**
 * Takes SIGINT/SIGTERM from the start (a service stop must work while enrollment is still being retried), runs
 * `start`, keeps the process up until a signal, then stops every agent `start` gave (and any it adds later).
 * With `metrics.listen` set it serves `/metrics` for those agents meanwhile (a bad address fails the start).
 */
export async function runUntilSignal(
  log: Logger,
  start: (signal: AbortSignal) => Promise<Agent[]>,
  metrics: AgentConfig['metrics'] = { allowNonLoopback: false },
): Promise<number> {
  const stopping = new AbortController();
  let stopRequested: () => void = () => undefined;
  const onSignal = (signal: string) => {
    log.info({ signal }, 'stopping');
    stopping.abort();
    stopRequested();
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  let agents: Agent[] = [];
  const server = metrics.listen
    ? await serveMetrics(metrics.listen, metrics.allowNonLoopback, log, () => agents)
    : null;
  // The agent's own timers are unref'd (they must not keep tests alive); the service process must stay up.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    agents = await start(stopping.signal);
    if (!stopping.signal.aborted) await new Promise<void>((resolve) => (stopRequested = resolve));
    await Promise.all(
      agents.map((a) =>
        a.stop().catch((err: unknown) => {
          log.error({ err }, 'stop failed');
        }),
      ),
    );
  } finally {
    clearInterval(keepAlive);
    await server?.close();
  }
  return 0;
}

/** Starts the `/metrics` listener over the agents `agents()` gives at each scrape. */
async function serveMetrics(listen: string, allowNonLoopback: boolean, log: Logger, agents: () => Agent[]) {
  // Loaded only when configured: an agent without metrics does not evaluate the module at all.
  const m = await import('../metrics/index.js');
  return m.startMetricsServer({
    listen,
    allowNonLoopback,
    log: log.child({ component: 'metrics' }),
    render: () =>
      m.renderMetrics(
        m.processSnapshot(AGENT_VERSION),
        agents().map((a) => a.metricsSnapshot()),
      ),
  });
}

/**
 * Enrolls (retrying with backoff until it works or `signal` aborts: null then) and starts one agent: on this Windows
 * machine, or on a files-mode folder (`config.simulateDir`) with its log in UTC plus `logOffsetMinutes`.
 */
export async function startAgent(
  config: Readonly<AgentConfig>,
  hostname: string,
  log: Logger,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
  logOffsetMinutes?: number,
): Promise<Agent | null> {
  let credentials;
  const enrollLog = failureLog(log.child({ component: 'enroll' }), 'enrollment');
  try {
    credentials = await enrollWithRetry(
      {
        collectorUrl: config.collectorUrls,
        enrollSecret: config.enrollSecret,
        stateDir: config.stateDir,
        hostname,
        caFile: config.caFile,
      },
      {
        signal,
        // Once per distinct failure: a collector down for hours must not write a line every backoff step.
        onRetry: (err, delayMs) =>
          enrollLog.failed({
            key: failureKey(err),
            fields: { err: (err as Error).message, retryInMs: delayMs },
            msg: 'enrollment failed; retrying (logged again only when the failure changes)',
          }),
      },
    );
  } catch (err) {
    if (signal.aborted) return null;
    throw err;
  }
  enrollLog.recovered({ agentId: credentials.agentId });
  // Every line of this agent names it; the root logger already has the host name.
  const agentLog = log.child({ agentId: credentials.agentId });
  const files = config.simulateDir !== undefined;
  const sources = createSources({
    platform: files ? 'simulate' : 'win32',
    ...(config.simulateDir ? { simulateDir: config.simulateDir } : {}),
    runner: processRunner(),
    stateDir: config.stateDir,
  });
  const logPath =
    config.logPath ??
    (files
      ? join(config.simulateDir, 'WindowsUpdate.log')
      : join(env.SystemRoot ?? 'C:\\Windows', 'WindowsUpdate.log'));
  // On Windows the log is in the machine's local time; simulated logs are in UTC.
  const offset = logOffsetMinutes ?? (files ? 0 : -new Date().getTimezoneOffset());
  const agent = new Agent({ config, credentials, sources, log: agentLog, logPath, logOffsetMinutes: offset });
  await agent.start();
  return agent;
}

/** Enrolls with the collector and stores the token in the state directory. */
export async function enrollCommand(args: string[], io: CliIo): Promise<number> {
  const { config, force } = configFrom(args, io);
  const c = await ensureEnrolled({
    collectorUrl: config.collectorUrls,
    enrollSecret: config.enrollSecret,
    stateDir: config.stateDir,
    hostname: config.hostname ?? osHostname(),
    caFile: config.caFile,
    force,
  });
  io.stdout.write(`enrolled as ${c.agentId}; token stored in ${config.stateDir}\n`);
  return 0;
}
