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
  const numbers = names
    .map(parseSegmentFileName)
    .filter((n): n is number => n !== null)
    .sort((a, b) => b - a);
  // Newest segment first: cursors are numbered in write order, so the newest segment holding one of `key` has the
  // latest of the segments; the meta file may hold a later one (from a segment deleted since).
  for (const no of numbers) {
    let found = false;
    try {
      for (const c of (await scanSegment(dir, no, 0)).cursors) {
        if (c.key !== key) continue;
        keepLatest(latest, c);
        found = true;
      }
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err; // acknowledged and deleted while we looked
    }
    if (found) break;
  }
  return latest.get(key)?.value ?? null;
}
