// The WindowsUpdate.log fixtures the parser tests run over: the real logs in ../shared and the package's own.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLog, type Finding } from '../../src/wulog/index.js';

/** fixtures/shared/wulog/: the project's real logs (a copy of ../shared/fixtures, see its README). */
export const sharedDir = fileURLToPath(new URL('../fixtures/shared/wulog/', import.meta.url));
/** The core package's own fixture logs. */
export const ownDir = fileURLToPath(new URL('../fixtures/wulog/', import.meta.url));
/** Real excerpts from public sources (fixtures/wild/README.md). */
export const wildDir = fileURLToPath(new URL('../fixtures/wild/', import.meta.url));

/** Every fixture log as [name, bytes]. */
export const wulogFixtures: readonly [string, Buffer][] = [
  ...['real/legacy-win7.log', 'real/modern-server2019-wsus.log', 'pasted/field-report-80244022.log'].map(
    (name): [string, Buffer] => [name, readFileSync(sharedDir + name)],
  ),
  ...readdirSync(ownDir)
    .filter((name) => name.endsWith('.log'))
    .map((name): [string, Buffer] => [name, readFileSync(ownDir + name)]),
  ...readdirSync(wildDir)
    .filter((name) => name.endsWith('.log'))
    .map((name): [string, Buffer] => ['wild/' + name, readFileSync(wildDir + name)]),
];

/** The findings of one log file, parsed whole. */
export function findingsOf(path: string): Finding[] {
  return parseLog(readFileSync(path)).findings;
}

/** The findings of one kind, typed as that kind. */
export function ofKind<K extends Finding['kind']>(list: Finding[], kind: K): Extract<Finding, { kind: K }>[] {
  return list.filter((f): f is Extract<Finding, { kind: K }> => f.kind === kind);
}

/** Log text from lines (LF-terminated). */
export const lines = (text: string[]): string => text.join('\n') + '\n';
