/** `wuwatch-agent parse-log FILE|- [--records]`: findings (or line records) of a WindowsUpdate.log as NDJSON. */
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Readable } from 'node:stream';
import { makeError, WuLogParser, type Finding } from '@wuwatch/core';
import { UsageError, writeLine, type CliIo } from './io.js';

function openInput(path: string, io: CliIo): Readable {
  return path === '-' ? io.stdin : createReadStream(path);
}

/** Streams a log through the core parser and prints NDJSON in file order. */
export async function parseLogCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { records: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('expected one FILE (or - for standard input)');
  const path = positionals[0]!;
  const pending: Promise<void>[] = [];
  // Findings are sparse (a few per cycle), so they are collected and sorted by line: a cycle's finding is
  // complete only at its END line, after findings that started later.
  const findings: Finding[] = [];
  const parser = new WuLogParser({
    onRecord: values.records
      ? (r) => {
          const p = writeLine(io.stdout, JSON.stringify(r));
          if (p) pending.push(p);
        }
      : undefined,
    onFinding: values.records ? undefined : (f) => findings.push(f),
  });
  const input = openInput(path, io);
  try {
    for await (const chunk of input) {
      parser.push(chunk as Buffer);
      if (pending.length) await Promise.all(pending.splice(0));
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') {
      throw makeError('FILE_UNREADABLE', [path], { code }, err);
    }
    throw err;
  }
  parser.end();
  findings.sort((a, b) => a.line - b.line);
  for (const f of findings) await writeLine(io.stdout, JSON.stringify(f));
  await Promise.all(pending);
  return 0;
}
