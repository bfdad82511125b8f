/** `wuwatch-agent` command dispatch. Each command lives in its own module and returns an exit code. */
import { isWuwatchError } from '@wuwatch/core';
import { processIo, UsageError, type CliIo } from './io.js';
import { parseLogCommand } from './parse-log.js';
import { explainCommand } from './explain.js';
import { enrollCommand, runCommand } from './run.js';
import { serviceCommand } from './service.js';
import { diagnoseCommand } from './diagnose.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: {
    run: runCommand,
    summary:
      'run [--config F] [--collector URL] [--enroll-secret S] [--simulate DIR]   run the agent (what the service runs)',
  },
  enroll: {
    run: enrollCommand,
    summary: 'enroll --collector URL --secret S [--state-dir D]   enroll and store the token',
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
