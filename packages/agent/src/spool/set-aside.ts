/**
 * The spool's set-aside area (`set-aside.ndjson` in the spool folder): events the collector refused again and again,
 * moved out of the queue so delivery goes on with the next ones, and kept on disk (one JSON line each, appended and
 * fsync'ed) for the operator to look at. Nothing reads it back into the queue.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fsyncDir, writeFully } from './fsutil.js';

/** Name of the set-aside file inside the spool folder. */
export const SET_ASIDE_FILE = 'set-aside.ndjson';

/** One set-aside event: when, why, and the event as it was stored (its JSON). */
export interface SetAsideRecord {
  readonly setAsideAt: string;
  readonly reason: string;
  readonly event: unknown;
}

/** Appends records for `events` (each its stored JSON) to the set-aside file, durably. */
export async function appendSetAside(
  dir: string,
  events: readonly Buffer[],
  reason: string,
  now: Date,
): Promise<string> {
  const file = join(dir, SET_ASIDE_FILE);
  const lines = events.map(
    (json) =>
      `{"setAsideAt":${JSON.stringify(now.toISOString())},"reason":${JSON.stringify(reason)},"event":${json.toString('utf8')}}\n`,
  );
  const fh = await open(file, 'a');
  let created: boolean;
  try {
    const size = (await fh.stat()).size;
    created = size === 0;
    await writeFully(fh, Buffer.from(lines.join(''), 'utf8'), size);
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) await fsyncDir(dir); // the new name must survive a crash along with its content
  return file;
}

/** The records in the set-aside file of spool folder `dir` (none when there is no file). */
export async function readSetAside(dir: string): Promise<SetAsideRecord[]> {
  let text: string;
  try {
    text = await readFile(join(dir, SET_ASIDE_FILE), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as SetAsideRecord];
      } catch {
        return []; // a line cut short by a crash: its event is still in the queue (the ack came after)
      }
    });
}
