/** `wuwatch-agent` command dispatch. Each command lives in its own module and returns an exit code. */
import { processIo, UsageError, type CliIo } from './io.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

// Each command's module is imported when that command runs: the service only ever runs `run`, and loading the
// diagnose, service-plan, parse-log and explain code (and what they pull in) would cost the resident agent memory.
// Nor does this module import the runtime or the whole core itself: a short command (`parse-log`, `explain`) would pay
// for loading them at every start (about 0.15 s of CPU, measured for issue 15).
const runCommand: Command = async (args, io) => (await import('./run.js')).runCommand(args, io);
const enrollCommand: Command = async (args, io) => (await import('./run.js')).enrollCommand(args, io);
const parseLogCommand: Command = async (args, io) => (await import('./parse-log.js')).parseLogCommand(args, io);
const diagnoseCommand: Command = async (args, io) => (await import('./diagnose.js')).diagnoseCommand(args, io);
const configureCommand: Command = async (args, io) => (await import('./configure.js')).configureCommand(args, io);
const purgeCommand: Command = async (args, io) => (await import('./configure.js')).purgeCommand(args, io);
const waitReleasedCommand: Command = async (args, io) => (await import('./configure.js')).waitReleasedCommand(args, io);
const explainCommand: Command = async (args, io) => (await import('./explain.js')).explainCommand(args, io);
const serviceCommand =
  (verb: 'install' | 'uninstall' | 'start' | 'stop' | 'status'): Command =>
  async (args, io) =>
    (await import('./service.js')).serviceCommand(verb)(args, io);

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: {
    run: runCommand,
    summary:
      'run [--config F] [--collector URL[,URL…]] [--enroll-secret S] [--simulate DIR | --files ROOT]   run the agent (what the service runs; --files: one machine per folder written by wuwatch-export.cmd)',
  },
  enroll: {
    run: enrollCommand,
    summary: 'enroll --collector URL[,URL…] --secret S [--state-dir D]   enroll and store the token',
  },
  'parse-log': {
    run: parseLogCommand,
    summary: 'parse-log FILE|- [--records]   print findings (or line records) as NDJSON',
  },
  diagnose: {
    run: diagnoseCommand,
    summary:
      'diagnose [--json] [--simulate DIR]   verdict on this machine: exit 0 healthy, 1 problem, 2 could not check',
  },
  install: {
    run: serviceCommand('install'),
    summary: 'install --collector URL --enroll-secret S [--dry-run]   install the Windows service',
  },
  uninstall: {
    run: serviceCommand('uninstall'),
    summary: 'uninstall [--dry-run]   remove the service (state is kept)',
  },
  start: { run: serviceCommand('start'), summary: 'start [--dry-run]   start the service' },
  stop: { run: serviceCommand('stop'), summary: 'stop [--dry-run]   stop the service (graceful drain)' },
  status: { run: serviceCommand('status'), summary: 'status   service state' },
  configure: {
    run: configureCommand,
    summary:
      'configure [--config F] --collector URL --enroll-secret S [--ca-file F]   write agent.json into its restricted folder (the MSI runs it)',
  },
  purge: { run: purgeCommand, summary: 'purge [--state-dir D]   delete the state directory (token, spool, config)' },
  'wait-released': {
    run: waitReleasedCommand,
    summary: 'wait-released FILE [--timeout-seconds N]   wait until no process runs FILE (the MSI runs it)',
  },
  explain: { run: explainCommand, summary: 'explain CODE [--json]          explain a Windows Update error code' },
};

function usage(): string {
  return [
    'Usage: wuwatch-agent <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
  ].join('\n');
}

/** Runs the CLI with the given arguments; resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    const { AGENT_VERSION } = await import('../runtime/agent.js');
    io.stdout.write(`wuwatch-agent ${AGENT_VERSION} (node ${process.version}, ${process.platform}-${process.arch})\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr.write(`wuwatch-agent: unknown command "${name}". Run "wuwatch-agent --help" for the list.\n`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    const { isWuwatchError } = await import('@wuwatch/core');
    if (
      err instanceof UsageError ||
      isWuwatchError(err) ||
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr.write(`wuwatch-agent ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}
