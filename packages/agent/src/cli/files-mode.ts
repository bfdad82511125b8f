/**
 * Files mode (`wuwatch-agent run --files ROOT`): servers Node cannot run on (2008 R2, 2012, 2012 R2) write their
 * WindowsUpdate.log, policy export and proxy settings into ROOT\<COMPUTERNAME> with the scheduled-task script
 * packaging/windows/older-server/wuwatch-export.cmd; this agent, running elsewhere, reports each folder as one machine
 * (one Agent per folder, each with its own state directory outside the share). Folders that appear later are picked
 * up by a rescan. What it cannot see: the WSUS probe runs from where this agent runs, not from the old server.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { assertSimulateDir, loadAgentConfig } from '../config/load.js';
import { resolveStateDir } from '../platform/paths.js';
import type { Agent } from '../runtime/agent.js';
import type { CliIo } from './io.js';
import { mirrorLog } from './log-mirror.js';
import { rootLogger, runUntilSignal, startAgent } from './run.js';

/** How often a machine's log is mirrored from the share. */
export const MIRROR_MS = 5000;
/** The mirror's path inside the machine's state directory. */
const MIRROR_FILE = 'WindowsUpdate.mirror.log';
/** How often ROOT is listed for new machine folders. */
export const RESCAN_MS = 60_000;
/** A folder name that can be a computer name (NetBIOS names are at most 15 characters; DNS labels 63). */
const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** File the export script writes with the server's UTC offset in minutes (`wmic os get CurrentTimeZone`). */
export const UTC_OFFSET_FILE = 'utc-offset.txt';

/** The machine folders under `root`, by name; other entries are skipped (and named, so an operator sees why). */
export async function machineFolders(root: string): Promise<{ names: string[]; skipped: string[] }> {
  const entries = await readdir(root, { withFileTypes: true });
  const names: string[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    if (MACHINE_NAME.test(e.name)) names.push(e.name);
    else skipped.push(e.name);
  }
  return { names: names.sort(), skipped };
}

/** Reads utc-offset.txt (minutes east of UTC, -840…840); 0 when absent or not such a number. */
export async function folderUtcOffset(dir: string): Promise<{ minutes: number; known: boolean }> {
  const text = await readFile(join(dir, UTC_OFFSET_FILE), 'latin1').catch(() => null);
  const m = text === null ? null : /^\s*(?:CurrentTimeZone\s*)?([+-]?\d{1,4})\s*$/im.exec(text.replace(/\0/g, ''));
  const n = m ? Number(m[1]) : NaN;
  return Number.isInteger(n) && Math.abs(n) <= 840 ? { minutes: n, known: true } : { minutes: 0, known: false };
}

/** Runs one agent per machine folder of `values.files` until SIGINT/SIGTERM. */
export async function runFilesMode(
  values: {
    files?: string | undefined;
    config?: string | undefined;
    collector?: string | undefined;
    'enroll-secret'?: string | undefined;
    secret?: string | undefined;
    'state-dir'?: string | undefined;
    'log-level'?: string | undefined;
    pretty?: boolean | undefined;
  },
  io: CliIo,
): Promise<number> {
  const root = values.files!;
  assertSimulateDir(root);
  // State stays out of the share the old servers write to: a server must not be able to touch an agent's token.
  const stateRoot = join(resolveStateDir({ override: values['state-dir'] ?? null, env: io.env }), 'files');
  const configFor = (name: string) =>
    loadAgentConfig({
      file: values.config,
      env: io.env,
      overrides: {
        collectorUrl: values.collector,
        enrollSecret: values['enroll-secret'] ?? values.secret,
        stateDir: join(stateRoot, name),
        simulateDir: join(root, name),
        logPath: join(stateRoot, name, MIRROR_FILE),
        hostname: name,
        logLevel: values['log-level'],
      },
    });
  // Validates the shared settings once, before anything starts.
  const probe = loadAgentConfig({
    file: values.config,
    env: io.env,
    overrides: {
      collectorUrl: values.collector,
      enrollSecret: values['enroll-secret'] ?? values.secret,
      stateDir: stateRoot,
      logLevel: values['log-level'],
    },
  });
  const log = rootLogger(probe.logLevel, { pretty: values.pretty }).child({ mode: 'files', root, host: osHostname() });
  return runUntilSignal(
    log,
    async (signal) => {
      const agents: Agent[] = [];
      const started = new Set<string>();
      const scan = async () => {
        const { names, skipped } = await machineFolders(root);
        for (const s of skipped) if (!started.has(s)) log.warn({ folder: s }, 'not a computer name; folder skipped');
        for (const s of skipped) started.add(s);
        const fresh = names.filter((n) => !started.has(n));
        for (const n of fresh) started.add(n);
        await Promise.all(
          fresh.map(async (name) => {
            const child = log.child({ machine: name });
            try {
              const offset = await folderUtcOffset(join(root, name));
              if (!offset.known) child.warn(`no ${UTC_OFFSET_FILE}: the log's local times are read as UTC`);
              const config = configFor(name);
              // The tailer reads the local mirror of the share's log, kept up to date every few seconds.
              const sync = () => mirrorLog(join(root, name, 'WindowsUpdate.log'), config.logPath!);
              await sync();
              const timer = setInterval(() => {
                sync().catch((err: unknown) => child.warn({ err }, 'log mirror failed'));
              }, MIRROR_MS);
              timer.unref();
              signal.addEventListener('abort', () => clearInterval(timer), { once: true });
              const agent = await startAgent(config, name, child, signal, io.env, offset.minutes);
              if (agent) agents.push(agent);
            } catch (err) {
              child.error({ err }, 'machine folder not started');
            }
          }),
        );
        log.info({ machines: agents.length }, 'files mode: machines running');
      };
      await scan();
      const timer = setInterval(() => {
        if (!signal.aborted) scan().catch((err: unknown) => log.error({ err }, 'rescan failed'));
      }, RESCAN_MS);
      timer.unref();
      signal.addEventListener('abort', () => clearInterval(timer), { once: true });
      // The list grows as folders appear; runUntilSignal stops whatever it holds at the end.
      return agents;
    },
    probe.metrics,
  );
}
