/** The agent's identity in its state directory: written once at enrollment, readable by the owner only. */
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { makeError } from '@wuwatch/core';

/** What enrollment gives an agent. */
export const Credentials = z.object({ agentId: z.string().min(1), token: z.string().min(1), collectorUrl: z.string() });
export type Credentials = z.infer<typeof Credentials>;

const FILE = 'credentials.json';

/** Reads the stored credentials, or null when the agent has not enrolled yet. */
export async function readCredentials(stateDir: string): Promise<Credentials | null> {
  let text: string;
  try {
    text = await readFile(join(stateDir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw makeError('FILE_UNREADABLE', [join(stateDir, FILE)], undefined, err);
  }
  const parsed = Credentials.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw makeError('CONFIG_INVALID', [`${join(stateDir, FILE)} is damaged; delete it and enroll again`]);
  return parsed.data;
}

/** Stores credentials atomically with owner-only permissions (0600; on Windows the state dir ACL applies). */
export async function writeCredentials(stateDir: string, c: Credentials): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, FILE);
  const tmp = path + '.tmp';
  await writeFile(tmp, JSON.stringify(c, null, 2), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
