/**
 * `wuwatch-agent configure` (what the MSI runs as SYSTEM before it starts the service: restrict ProgramData\wuwatch,
 * write agent.json) and `wuwatch-agent purge` (what the MSI runs on uninstall with PURGE=1).
 */
import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { dirname, join, win32 } from 'node:path';
import { parseArgs } from 'node:util';
import { makeError } from '@wuwatch/core';
import { processRunner, programDataDir, STATE_DIR_NAME, AGENT_CONFIG_FILE } from '../platform/index.js';
import { executePlan } from '../service/execute.js';
import { planConfigure } from '../service/configure.js';
import { formatPlan } from '../service/format.js';
import { UsageError, type CliIo } from './io.js';

const OPTIONS = {
  config: { type: 'string' },
  collector: { type: 'string' },
  'enroll-secret': { type: 'string' },
  'ca-file': { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
} as const;

/** Writes agent.json into its (restricted) folder; without values, keeps an existing one. */
export async function configureCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  const configPath = values.config ?? win32.join(programDataDir(io.env), STATE_DIR_NAME, AGENT_CONFIG_FILE);
  const onWindows = process.platform === 'win32';
  const stateDir = dirname(configPath);
  const plan = planConfigure({
    stateDir,
    configExists: existsSync(configPath),
    collectorUrl: values.collector,
    enrollSecret: values['enroll-secret'],
    caFile: values['ca-file'],
    env: io.env,
    pathStyle: onWindows ? 'win32' : 'posix',
    // The ACL is a Windows one; elsewhere the folder is made owner-only by the state files' own modes.
    skipAcl: !onWindows,
  });
  if (values['dry-run']) {
    io.stdout.write(formatPlan(plan, 'Configure the wuwatch agent (dry run: nothing was changed)') + '\n');
    return 0;
  }
  await executePlan(plan, { runner: processRunner() });
  io.stdout.write(`configured ${configPath}\n`);
  return 0;
}

/** Deletes the state directory (token, spool, offsets, agent.json, logs): only a folder that holds agent.json. */
export async function purgeCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { 'state-dir': { type: 'string' } }, strict: true });
  const stateDir = values['state-dir'] ?? win32.join(programDataDir(io.env), STATE_DIR_NAME);
  const configFile = join(stateDir, AGENT_CONFIG_FILE);
  if (!existsSync(stateDir)) {
    io.stdout.write(`${stateDir} does not exist: nothing to purge\n`);
    return 0;
  }
  if (!existsSync(configFile)) {
    throw makeError('CONFIG_INVALID', [
      `${stateDir} holds no ${AGENT_CONFIG_FILE}: not deleting a folder that is not the agent's`,
    ]);
  }
  // Run by the MSI right after the service stopped: the agent's process may hold its spool open for a moment more.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await rm(stateDir, { recursive: true, force: true, maxRetries: 3 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  io.stdout.write(`deleted ${stateDir}\n`);
  return 0;
}

/**
 * Waits until FILE can be opened for writing, i.e. no process runs it any more. The MSI runs it on nssm.exe after
 * stopping the service: the service manager reports "stopped" a moment before the wrapper's process has exited, and
 * a file still in use is not removed (it would wait for a reboot). Exit 0 either way; the wait is bounded.
 */
export async function waitReleasedCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'timeout-seconds': { type: 'string', default: '30' } },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (!file) throw new UsageError('usage: wuwatch-agent wait-released FILE [--timeout-seconds N]');
  const deadline = Date.now() + Math.max(0, Number(values['timeout-seconds']) || 0) * 1000;
  for (;;) {
    try {
      const handle = await open(file, 'r+');
      await handle.close();
      return 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      if (Date.now() > deadline) {
        io.stderr.write(`${file} is still in use (${(err as NodeJS.ErrnoException).code}); going on\n`);
        return 0;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
