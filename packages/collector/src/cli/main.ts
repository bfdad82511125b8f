/** `wuwatch` command dispatch: finds the command in the one definition (registry.ts), parses, runs, maps errors. */
import { terminalSafe } from '../escaping/terminal.js';
import { isWuwatchError } from '@wuwatch/core';
import { collectorVersion } from '../config/version.js';
import { ApiError } from './client.js';
import { processIo, UsageError, type CliIo } from './io.js';
import { COMMANDS } from './registry.js';
import { commandHelp, EXIT, groupHelp, isGroup, parseCommand, rootHelp, type CommandSpec, type Spec } from './spec.js';

const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

/** Finds the command an argv names: the spec, its path, the remaining args; a group without a subcommand is returned as is. */
function resolve(argv: string[]): { spec: Spec; command?: CommandSpec; path: string; rest: string[] } | null {
  const [name, ...rest] = argv;
  const spec = COMMANDS.find((s) => s.name === name);
  if (!spec) return null;
  if (!isGroup(spec)) return { spec, command: spec, path: spec.name, rest };
  const sub = spec.commands.find((c) => c.name === rest[0]);
  if (sub) return { spec, command: sub, path: `${spec.name} ${sub.name}`, rest: rest.slice(1) };
  const fallback = spec.commands.find((c) => c.name === spec.defaultCommand);
  // `wuwatch alerts --state resolved` runs the default; `wuwatch alerts bogus` is a usage error. A default that takes
  // an argument also takes a first word that names no subcommand: `wuwatch machine ID` is `wuwatch machine show ID`.
  if (
    fallback &&
    (rest.length === 0 || rest[0]!.startsWith('-') || (fallback.args?.length ?? 0) > 0) &&
    !(rest.length > 0 && wantsHelp(rest) && rest.length === 1)
  ) {
    return { spec, command: fallback, path: `${spec.name} ${fallback.name}`, rest };
  }
  return { spec, path: spec.name, rest };
}

/** Runs the CLI; resolves to the exit code (see EXIT: 0 done, 1 failed, 2 usage or configuration error). */
export async function main(argv: string[], rawIo: CliIo = processIo()): Promise<number> {
  // Everything the CLI prints passes here: agent-supplied text cannot send control codes to the terminal.
  const io: CliIo = { ...rawIo, stdout: terminalSafe(rawIo.stdout), stderr: terminalSafe(rawIo.stderr) };
  const [name] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(rootHelp(COMMANDS) + '\n');
    return name ? EXIT.OK : EXIT.USAGE;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`wuwatch ${collectorVersion()} (collector, node ${process.version})\n`);
    return EXIT.OK;
  }
  const found = resolve(argv);
  if (!found) {
    io.stderr.write(`wuwatch: unknown command "${name}". Run "wuwatch --help" for the list.\n`);
    return EXIT.USAGE;
  }
  const { spec, command, path, rest } = found;
  if (!command) {
    // A group: help when asked, otherwise a usage error naming what exists.
    const g = spec as Extract<Spec, { commands: unknown }>;
    if (wantsHelp(rest) || rest.length === 0) {
      io[rest.length === 0 ? 'stderr' : 'stdout'].write(groupHelp(g) + '\n');
      return rest.length === 0 ? EXIT.USAGE : EXIT.OK;
    }
    io.stderr.write(
      `wuwatch ${g.name}: unknown command "${rest[0]}"; use one of: ${g.commands.map((c) => c.name).join(', ')}.\n`,
    );
    return EXIT.USAGE;
  }
  try {
    const { values, positionals, help } = parseCommand(path, command, rest);
    if (help) {
      io.stdout.write(commandHelp(path, command) + '\n');
      return EXIT.OK;
    }
    return await command.run({ values, positionals, io, path });
  } catch (err) {
    if (err instanceof ApiError) {
      io.stderr.write(`wuwatch ${name}: ${err.code}: ${err.message}\n`);
      return EXIT.FAILED;
    }
    if (
      err instanceof UsageError ||
      isWuwatchError(err, 'CONFIG_INVALID') ||
      isWuwatchError(err, 'FILE_UNREADABLE') ||
      // Every node:util parseArgs complaint (unknown option, missing value, stray positional) is a usage error.
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr.write(`wuwatch ${name}: ${(err as Error).message}\n`);
      return EXIT.USAGE;
    }
    if (isWuwatchError(err)) {
      io.stderr.write(`wuwatch ${name}: ${err.code}: ${err.message}\n`);
      return EXIT.FAILED;
    }
    // Anything else (a port in use, a bug) still ends as one line and the "failed" code, never a stack dump.
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? `${e.code}: ` : '';
    io.stderr.write(`wuwatch ${name}: ${code}${typeof e.message === 'string' ? e.message : String(err)}\n`);
    return EXIT.FAILED;
  }
}
