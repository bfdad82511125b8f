/**
 * `wuwatch-agent install|uninstall|start|stop|status`: the Windows service (WinSW wrapping `node … run`).
 * On Windows the plan is executed; elsewhere, or with --dry-run, it is printed exactly as it would run.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { join, win32 } from 'node:path';
import { decodeWindowsText } from '@wuwatch/core';
import { processRunner, programDataDir } from '../platform/index.js';
import {
  executePlan,
  formatPlan,
  parseServiceStatus,
  planInstall,
  planStart,
  planStatus,
  planStop,
  planUninstall,
  serviceLayout,
  type Plan,
} from '../service/index.js';
import { UsageError, type CliIo } from './io.js';

const OPTIONS = {
  collector: { type: 'string' },
  'enroll-secret': { type: 'string' },
  'install-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  winsw: { type: 'string' },
  node: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  upgrade: { type: 'boolean', default: false },
} as const;

/** Where the agent's main script is when installed from this package. */
function agentMainPath(): string {
  return fileURLToPath(new URL('../../bin/wuwatch-agent.js', import.meta.url));
}

function layoutFrom(values: { 'install-dir'?: string | undefined; 'state-dir'?: string | undefined }, io: CliIo) {
  const programData = programDataDir(io.env);
  return {
    installDir: values['install-dir'] ?? win32.join(io.env.ProgramFiles ?? 'C:\\Program Files', 'wuwatch'),
    stateDir: values['state-dir'] ?? win32.join(programData, 'wuwatch'),
    pathStyle: 'win32' as const,
  };
}

async function runOrPrint(plan: Plan, title: string, dryRun: boolean, io: CliIo): Promise<number> {
  if (dryRun || process.platform !== 'win32') {
    io.stdout.write(formatPlan(plan, `${title} (dry run: nothing was changed)`) + '\n');
    if (!dryRun)
      io.stderr.write('Not on Windows: printed the plan instead of running it (use --dry-run to say so explicitly).\n');
    return 0;
  }
  await executePlan(plan, { runner: processRunner(), onStep: (o) => io.stdout.write(`✔ ${o.step.description}\n`) });
  return 0;
}

/** Builds the command for one service verb. */
export function serviceCommand(verb: 'install' | 'uninstall' | 'start' | 'stop' | 'status') {
  return async (args: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
    void positionals;
    const layout = layoutFrom(values, io);
    const dryRun = values['dry-run'];
    switch (verb) {
      case 'install': {
        if (!values.upgrade && (!values.collector || !values['enroll-secret'])) {
          throw new UsageError(
            'usage: wuwatch-agent install --collector URL --enroll-secret S [--dry-run] (or --upgrade)',
          );
        }
        const winswDefault = join(process.cwd(), 'node_modules', 'node-windows', 'bin', 'winsw', 'winsw.exe');
        const plan = planInstall({
          ...layout,
          winswExe: values.winsw ?? winswDefault,
          nodeExe: values.node ?? process.execPath,
          agentMain: agentMainPath(),
          installed: values.upgrade,
          ...(values.collector ? { collectorUrl: values.collector } : {}),
          ...(values['enroll-secret'] ? { enrollSecret: values['enroll-secret'] } : {}),
        });
        if (!dryRun && process.platform === 'win32' && !existsSync(values.winsw ?? winswDefault)) {
          throw new UsageError(
            `WinSW not found at ${values.winsw ?? winswDefault}; pass --winsw PATH (node-windows ships bin/winsw/winsw.exe)`,
          );
        }
        return runOrPrint(
          plan,
          values.upgrade ? 'Upgrade the wuwatch agent service in place' : 'Install the wuwatch agent service',
          dryRun,
          io,
        );
      }
      case 'uninstall':
        return runOrPrint(
          planUninstall(layout),
          'Uninstall the wuwatch agent service (the state directory is kept)',
          dryRun,
          io,
        );
      case 'start':
        return runOrPrint(planStart(layout), 'Start the wuwatch agent service', dryRun, io);
      case 'stop':
        return runOrPrint(planStop(layout), 'Stop the wuwatch agent service (graceful drain)', dryRun, io);
      case 'status': {
        if (dryRun || process.platform !== 'win32')
          return runOrPrint(planStatus(layout), 'Query the wuwatch agent service', true, io);
        const exe = serviceLayout(layout).serviceExe;
        const r = await processRunner().run(exe, ['status']);
        const state = parseServiceStatus(decodeWindowsText(r.stdout));
        io.stdout.write(`wuwatch-agent service: ${state}\n`);
        return state === 'started' ? 0 : 1;
      }
    }
  };
}
