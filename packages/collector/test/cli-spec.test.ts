// The CLI's one definition: every command and subcommand answers --help (exit 0, usage on stdout) with exactly
// the options its parser accepts; --version; group and unknown-command usage errors; the real launcher too.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { COMMANDS } from '../src/cli/registry.js';
import { isGroup, parseCommand, type CommandSpec } from '../src/cli/spec.js';
import { runCli } from './helpers/cli.js';

const BIN = new URL('../bin/wuwatch.js', import.meta.url).pathname;
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** Every runnable command with its path, from the definition. */
const leaves: { path: string[]; spec: CommandSpec }[] = COMMANDS.flatMap((s) =>
  isGroup(s) ? s.commands.map((c) => ({ path: [s.name, c.name], spec: c })) : [{ path: [s.name], spec: s }],
);

test('the definition has every command of the README', (t) => {
  t.true(leaves.length >= 21, `${leaves.length} commands`);
  for (const p of ['serve', 'migrate', 'config check', 'token create', 'alerts ack', 'silence add', 'notify-test']) {
    t.true(
      leaves.some((l) => l.path.join(' ') === p),
      p,
    );
  }
});

test('every command and subcommand: --help and -h exit 0 with its usage, arguments and every option', async (t) => {
  for (const { path, spec } of leaves) {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([...path, flag]);
      const where = `${path.join(' ')} ${flag}`;
      t.is(r.code, 0, where);
      t.is(r.err, '', where);
      t.true(r.out.startsWith(`Usage: wuwatch ${path.join(' ')}`), where);
      for (const a of spec.args ?? []) t.regex(r.out, new RegExp(`^  ${a.name}\\s`, 'm'), `${where}: ${a.name}`);
      for (const o of Object.keys(spec.options ?? {}))
        t.regex(r.out, new RegExp(`^  --${o}\\b`, 'm'), `${where}: --${o}`);
      t.regex(r.out, /^Exit codes: 0 done; 1 failed .*; 2 usage or configuration error\.$/m, where);
    }
  }
});

test('help cannot drift: every --option help shows is accepted by the parser, and nothing else is', (t) => {
  for (const { path, spec } of leaves) {
    const p = path.join(' ');
    for (const [name, o] of Object.entries(spec.options ?? {})) {
      const args = o.type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];
      const required = (spec.args ?? []).filter((a) => a.required).map(() => 'arg');
      t.notThrows(() => parseCommand(p, spec, [...required, ...args]), `${p} --${name}`);
    }
    t.throws(() => parseCommand(p, spec, ['--not-an-option']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }, p);
  }
});

test('groups: "--help" lists the subcommands (exit 0); no subcommand or an unknown one is a usage error (exit 2)', async (t) => {
  for (const g of COMMANDS.filter(isGroup)) {
    const help = await runCli([g.name, '--help']);
    t.is(help.code, 0, g.name);
    for (const c of g.commands) t.regex(help.out, new RegExp(`^  ${c.name}\\b`, 'm'), `${g.name} ${c.name}`);
    const bogus = await runCli([g.name, 'bogus']);
    t.is(bogus.code, 2);
    const fallback = g.commands.find((c) => c.name === g.defaultCommand);
    if ((fallback?.args?.length ?? 0) > 0) {
      // A default that takes an argument takes the word: `wuwatch machine ID` is `wuwatch machine show ID`.
      t.deepEqual(bogus, await runCli([g.name, fallback!.name, 'bogus']), g.name);
    } else {
      t.regex(bogus.err, new RegExp(`^wuwatch ${g.name}: unknown command "bogus"; use one of: `));
    }
  }
  const bare = await runCli(['token']);
  t.is(bare.code, 2);
  t.regex(bare.err, /^Usage: wuwatch token <create\|list\|revoke>/);
});

test('the root help lists every command path; --version prints the package version', async (t) => {
  const help = await runCli(['--help']);
  t.is(help.code, 0);
  for (const { path } of leaves) t.regex(help.out, new RegExp(`^  ${path.join(' ')}\\s`, 'm'), path.join(' '));
  const v = await runCli(['--version']);
  t.is(v.code, 0);
  t.is(v.out, `wuwatch ${VERSION} (collector, node ${process.version})\n`);
});

test('the installed launcher (bin/wuwatch.js, built code): --version, --help, and a usage error exit code', (t) => {
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: {} });
  const v = run(['--version']);
  t.is(v.status, 0, v.stderr);
  t.regex(v.stdout, new RegExp(`^wuwatch ${VERSION.replace(/\./g, '\\.')} `));
  const h = run(['machines', '--help']);
  t.is(h.status, 0);
  t.regex(h.stdout, /^Usage: wuwatch machines \[options\]/);
  const bad = run(['machines', '--colour']);
  t.is(bad.status, 2);
  t.is(bad.stdout, '');
  t.is(bad.stderr.trimEnd().split('\n').length, 1);
});
