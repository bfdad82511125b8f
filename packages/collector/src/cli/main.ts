/** `wuwatch` command dispatch. */
import { isWuwatchError } from '@wuwatch/core';
import { ApiError } from './client.js';
import { processIo, UsageError, type CliIo } from './io.js';
import { credentialCommand, machineCommand, machinesCommand, statusCommand, wsusCommand } from './commands.js';
import { migrateCommand, serveCommand } from './serve.js';
import { alertsCommand, notifyTestCommand, silenceCommand } from './alerts.js';

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  serve: {
    run: serveCommand,
    summary: 'serve [--config FILE]            run the collector (API, agent endpoint, status)',
  },
  migrate: { run: migrateCommand, summary: 'migrate [--config FILE]          apply database migrations and exit' },
  'enroll-secret': {
    run: credentialCommand('enroll-secret'),
    summary: 'enroll-secret create|list|revoke  manage agent enrollment secrets',
  },
  token: { run: credentialCommand('token'), summary: 'token create|list|revoke          manage API tokens' },
  agent: {
    run: credentialCommand('agent'),
    summary: 'agent list|revoke ID             list agents, revoke an agent token',
  },
  status: { run: statusCommand, summary: 'status                           machines per status' },
  machines: { run: machinesCommand, summary: 'machines [--status S] [--json]   list machines' },
  machine: { run: machineCommand, summary: 'machine ID                       one machine with its reasons' },
  wsus: { run: wsusCommand, summary: 'wsus                             WSUS servers and who can reach them' },
  alerts: { run: alertsCommand, summary: 'alerts [--state S] | ack ID      open alerts (or firing|clearing|resolved)' },
  silence: {
    run: silenceCommand,
    summary: 'silence add|list|delete ID       mute alerts by rule, machine or WSUS URL',
  },
  'notify-test': {
    run: notifyTestCommand,
    summary: 'notify-test CHANNEL              send a test message through a channel',
  },
};

function usage(): string {
  return [
    'Usage: wuwatch <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
    '',
    'API commands take --url (WUWATCH_URL, default http://127.0.0.1:8470) and --token (WUWATCH_TOKEN).',
  ].join('\n');
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 API error, 2 usage or local error). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr.write(`wuwatch: unknown command "${name}". Run "wuwatch --help" for the list.\n`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof ApiError) {
      io.stderr.write(`wuwatch ${name}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    if (
      err instanceof UsageError ||
      isWuwatchError(err) ||
      // Every node:util parseArgs complaint (unknown option, missing value, stray positional) is a usage error.
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr.write(`wuwatch ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}
