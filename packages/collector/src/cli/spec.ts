/**
 * The CLI's one definition format: every command and subcommand declares its arguments and options once, and
 * both the parser and `--help` are generated from that declaration, so help cannot drift from what is accepted.
 */
import { parseArgs } from 'node:util';
import { UsageError, type CliIo } from './io.js';

/** One option: `--name VALUE` (string) or `--name` (boolean). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder shown in help for string options, e.g. `URL`. */
  value?: string;
  description: string;
  /** Environment variable read when the option is not given (documented in help). */
  env?: string;
  /** Default shown in help (the handler applies it). */
  defaultText?: string;
}

/** One positional argument. */
export interface ArgSpec {
  name: string;
  description: string;
  required: boolean;
}

/** What a command's handler gets: parsed option values, positionals, and the process edges. */
export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  io: CliIo;
  /** `wuwatch token create`, for messages. */
  path: string;
}

/** A runnable command. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Longer explanation printed under the usage line. */
  description?: string;
  args?: ArgSpec[];
  options?: Record<string, OptionSpec>;
  examples?: string[];
  run(ctx: CommandContext): Promise<number>;
}

/** A command with subcommands (`wuwatch token create|list|revoke`). */
export interface GroupSpec {
  name: string;
  summary: string;
  commands: CommandSpec[];
  /** Subcommand run when none is named (`wuwatch alerts` lists). */
  defaultCommand?: string;
}

export type Spec = CommandSpec | GroupSpec;

/** Exit codes, the same for every command (documented in help and the README). */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** It ran and failed: the collector refused or could not be reached, the database failed, a check found problems. */
  FAILED: 1,
  /** Wrong invocation or configuration: unknown command or option, missing argument or token, invalid config. */
  USAGE: 2,
} as const;

/** The help footer naming the exit codes. */
export const EXIT_CODES_TEXT =
  'Exit codes: 0 done; 1 failed (the collector refused or was unreachable, the database failed, a check found problems); 2 usage or configuration error.';

const HELP: OptionSpec = { type: 'boolean', description: 'show this help' };

/** True for a group. */
export function isGroup(s: Spec): s is GroupSpec {
  return 'commands' in s;
}

function usageLine(path: string, c: CommandSpec): string {
  const args = (c.args ?? []).map((a) => (a.required ? a.name : `[${a.name}]`));
  const opts = Object.keys(c.options ?? {}).length > 0 ? ['[options]'] : [];
  return ['wuwatch', path, ...args, ...opts].join(' ');
}

function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`);
}

function optionRows(options: Record<string, OptionSpec>): [string, string][] {
  const rows: [string, string][] = Object.entries(options).map(([name, o]) => {
    const left = o.type === 'string' ? `--${name} ${o.value ?? 'VALUE'}` : `--${name}`;
    const extras = [o.env ? `env ${o.env}` : '', o.defaultText ? `default ${o.defaultText}` : '']
      .filter(Boolean)
      .join(', ');
    return [left, extras ? `${o.description} (${extras})` : o.description];
  });
  rows.push(['-h, --help', HELP.description]);
  return rows;
}

/** Help text of a command. */
export function commandHelp(path: string, c: CommandSpec): string {
  const lines = [`Usage: ${usageLine(path, c)}`, '', c.description ?? c.summary];
  if (c.args?.length) lines.push('', 'Arguments:', ...columns(c.args.map((a) => [a.name, a.description])));
  lines.push('', 'Options:', ...columns(optionRows(c.options ?? {})));
  if (c.examples?.length) lines.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  lines.push('', EXIT_CODES_TEXT);
  return lines.join('\n');
}

/** Help text of a group: its subcommands. */
export function groupHelp(g: GroupSpec): string {
  return [
    `Usage: wuwatch ${g.name} <${g.commands.map((c) => c.name).join('|')}> [options]`,
    '',
    g.summary,
    '',
    'Commands:',
    ...columns(
      g.commands.map((c) => [
        `${c.name}${(c.args ?? []).map((a) => (a.required ? ` ${a.name}` : ` [${a.name}]`)).join('')}`,
        c.name === g.defaultCommand ? `${c.summary} (default)` : c.summary,
      ]),
    ),
    '',
    `Run "wuwatch ${g.name} <command> --help" for a command's options.`,
    '',
    EXIT_CODES_TEXT,
  ].join('\n');
}

/** Help text of the whole CLI. */
export function rootHelp(specs: readonly Spec[]): string {
  const rows: [string, string][] = [];
  for (const s of specs) {
    if (isGroup(s)) for (const c of s.commands) rows.push([`${s.name} ${c.name}`, c.summary]);
    else rows.push([s.name, s.summary]);
  }
  return [
    'Usage: wuwatch <command> [options]',
    '',
    'wuwatch collector: runs the collector and queries it.',
    '',
    'Commands:',
    ...columns(rows),
    '',
    'Options:',
    ...columns([
      ['--version', 'print the version and exit'],
      ['-h, --help', 'show this help; "wuwatch <command> --help" for a command'],
    ]),
    '',
    'API commands take --url (WUWATCH_URL, default http://127.0.0.1:8470) and --token (WUWATCH_TOKEN).',
    EXIT_CODES_TEXT,
  ].join('\n');
}

/** Parses a command's arguments by its declaration; usage errors name the command and show its usage line. */
export function parseCommand(
  path: string,
  c: CommandSpec,
  args: string[],
): { values: CommandContext['values']; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(c.options ?? {})) options[name] = { type: o.type };
  const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  const { help, ...values } = parsed.values as Record<string, string | boolean | undefined>;
  if (help !== true) {
    const specs = c.args ?? [];
    const required = specs.filter((a) => a.required).length;
    if (parsed.positionals.length < required || parsed.positionals.length > specs.length) {
      throw new UsageError(`usage: ${usageLine(path, c)}`);
    }
  }
  return { values, positionals: parsed.positionals, help: help === true };
}
