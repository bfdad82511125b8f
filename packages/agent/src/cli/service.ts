/**
 * `wuwatch-agent install|uninstall|start|stop|status`: the Windows service without the MSI (nssm running the exe,
 * with the MSI's settings). The service runs the agent's exe, never node.exe plus a script: installed from the SEA,
 * the exe is this program itself; from an npm install, pass --exe (the exe built by `npm run package:windows`).
 * On Windows the plan is executed; elsewhere, or with --dry-run, it is printed exactly as it would run.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { win32 } from 'node:path';
import { isSea } from 'node:sea';
import { decodeWindowsText } from '@wuwatch/core';
import { processRunner, programDataDir } from '../platform/index.js';
import {
  NSSM_EXE,
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
  'ca-file': { type: 'string' },
  'install-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  exe: { type: 'string' },
  nssm: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  upgrade: { type: 'boolean', default: false },
} as const;

function layoutFrom(values: { 'install-dir'?: string | undefined; 'state-dir'?: string | undefined }, io: CliIo) {
  return {
    installDir: values['install-dir'] ?? win32.join(io.env.ProgramFiles ?? 'C:\\Program Files', 'wuwatch'),
    stateDir: values['state-dir'] ?? win32.join(programDataDir(io.env), 'wuwatch'),
    pathStyle: 'win32' as const,
    env: io.env,
  };
}

async function runOrPrint(plan: Plan, title: string, dryRun: boolean, io: CliIo): Promise<number> {
  if (dryRun || process.platform !== 'win32') {
    io.stdout.write(formatPlan(plan, `${title} (dry run: nothing was changed)`) + '\n');
    if (!dryRun)
      io.stderr.write('Not on Windows: printed the plan instead of running it (use --dry-run to say so explicitly).\n');
    return 0;
  }
  await executePlan(plan, { runner: processRunner(), onStep: (o) => io.stdout.write(`done: ${o.step.description}\n`) });
  return 0;
}

/** The exe the service runs: --exe, else this program when it is the SEA. */
function sourceExe(given: string | undefined, dryRun: boolean): string {
  if (given) return given;
  if (isSea()) return process.execPath;
  if (dryRun || process.platform !== 'win32') return 'wuwatch-agent.exe';
  throw new UsageError(
    'the service runs wuwatch-agent.exe, not node.exe and a script: install with the MSI, run "wuwatch-agent.exe install", or pass --exe PATH',
  );
}

/** Builds the command for one service verb. */
export function serviceCommand(verb: 'install' | 'uninstall' | 'start' | 'stop' | 'status') {
  return async (args: string[], io: CliIo): Promise<number> => {
    const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
    const layout = layoutFrom(values, io);
    const dryRun = values['dry-run'];
    switch (verb) {
      case 'install': {
        if (!values.upgrade && (!values.collector || !values['enroll-secret'])) {
          throw new UsageError(
            'usage: wuwatch-agent install --collector URL --enroll-secret S [--ca-file F] [--dry-run] (or --upgrade)',
          );
        }
        const exe = sourceExe(values.exe, dryRun);
        const nssm = values.nssm ?? win32.join(win32.dirname(exe), NSSM_EXE);
        if (!dryRun && process.platform === 'win32' && !existsSync(nssm)) {
          throw new UsageError(`nssm not found at ${nssm}; pass --nssm PATH (the MSI and the zip ship it as nssm.exe)`);
        }
        const plan = planInstall({
          ...layout,
          sourceExe: exe,
          sourceNssm: nssm,
          installed: values.upgrade,
          configExists: existsSync(serviceLayout(layout).configPath),
          env: io.env,
          ...(values.collector ? { collectorUrl: values.collector } : {}),
          ...(values['enroll-secret'] ? { enrollSecret: values['enroll-secret'] } : {}),
          ...(values['ca-file'] ? { caFile: values['ca-file'] } : {}),
        });
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
        const [step] = planStatus(layout);
        const argv = step?.kind === 'exec' ? step.argv : [];
        const r = await processRunner().run(argv[0]!, argv.slice(1));
        const state = parseServiceStatus(decodeWindowsText(r.stdout) + decodeWindowsText(r.stderr));
        io.stdout.write(`wuwatch-agent service: ${state}\n`);
        return state === 'started' ? 0 : 1;
      }
    }
  };
}
