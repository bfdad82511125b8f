/**
 * Reading a producer's latest cursor from a spool folder without opening the spool: nothing is repaired or
 * written, so another process (a status command, a test, a benchmark) can look while the agent runs. An append
 * still being written is not counted until it is whole.
 */
import { readdir } from 'node:fs/promises';
import { keepLatest } from './cursor.js';
import type { CursorRecord } from './cursor.js';
import { errorCode } from './fsutil.js';
import { readMeta } from './meta.js';
import { parseSegmentFileName, scanSegment } from './segment.js';

/** The value of the latest cursor committed under `key` in the spool folder `dir`; null if none (or no spool). */
export async function readCursor(dir: string, key: string): Promise<Record<string, unknown> | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  const { meta } = await readMeta(dir);
  const latest = new Map<string, CursorRecord>(meta.cursors);
  const numbers = names.map(parseSegmentFileName).filter((n): n is number => n !== null);
  for (const no of numbers) {
    try {
      for (const c of (await scanSegment(dir, no, 0)).cursors) keepLatest(latest, c);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err; // acknowledged and deleted while we looked
    }
  }
  return latest.get(key)?.value ?? null;
}
