// The WindowsUpdate.log fixtures the parser tests run over: the real logs in ../shared and the package's own.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** ../shared/fixtures/wulog/ (real logs, read-only). */
export const sharedDir = fileURLToPath(new URL('../../../../../shared/fixtures/wulog/', import.meta.url));
/** The core package's own fixture logs. */
export const ownDir = fileURLToPath(new URL('../fixtures/wulog/', import.meta.url));

/** Every fixture log as [name, bytes]. */
export const wulogFixtures: readonly [string, Buffer][] = [
  ...['real/legacy-win7.log', 'real/modern-server2019-wsus.log', 'pasted/field-report-80244022.log'].map(
    (name): [string, Buffer] => [name, readFileSync(sharedDir + name)],
  ),
  ...readdirSync(ownDir)
    .filter((name) => name.endsWith('.log'))
    .map((name): [string, Buffer] => [name, readFileSync(ownDir + name)]),
];
