/** `wuwatch-agent explain CODE [--json]`: the catalogue entry for a Windows Update error code. */
import { parseArgs } from 'node:util';
import { describeHresult, formatDescription } from '@wuwatch/core';
import { UsageError, type CliIo } from './io.js';

/** Prints what an HRESULT means and how to fix it; exit 2 when the argument is not a code. */
export async function explainCommand(args: string[], io: CliIo): Promise<number> {
  // A signed decimal code such as -2145107934 is a value, not an option.
  const codes = args.filter((a) => /^-\d+$/.test(a));
  const { values, positionals: rest } = parseArgs({
    args: args.filter((a) => !/^-\d+$/.test(a)),
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const positionals = [...rest, ...codes];
  if (positionals.length !== 1) throw new UsageError('expected exactly one CODE, e.g. "explain 0x80244022"');
  const d = describeHresult(positionals[0]!);
  io.stdout.write(values.json ? JSON.stringify(d) + '\n' : formatDescription(d) + '\n');
  return 0;
}
