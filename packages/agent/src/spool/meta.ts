/**
 * The spool's small meta file (`meta.json`): the acknowledged seq, a high-water mark of assigned seqs (so a
 * seq survives even when every segment holding it was deleted), a drop report not yet written as an event, and the
 * latest cursor of each producer as of the last meta save (segments holding a cursor may be deleted after it).
 * Replaced atomically: write `meta.json.tmp`, fsync it, rename over `meta.json`, fsync the directory.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, fsyncDir, renameWithRetry, writeFully } from './fsutil.js';
import type { DropReport } from './segment.js';
import { cursorsFromJson, cursorsToJson } from './cursor.js';
import type { Cursors } from './cursor.js';

/** Name of the meta file inside the spool directory. */
export const META_FILE = 'meta.json';

/** Suffix of files being written before an atomic rename; leftovers are removed on open. */
export const TMP_SUFFIX = '.tmp';

/**
 * A drop whose `spool_dropped` event may not be written yet; `seq` is the seq the report takes, so once the
 * segments hold a seq ≥ it, the report is on disk.
 */
export type PendingDrop = DropReport;

/** Contents of the meta file. */
export interface SpoolMeta {
  readonly version: 1;
  readonly ackedSeq: number;
  readonly lastSeq: number;
  readonly pendingDrop: PendingDrop | null;
  /** Latest cursor per producer when the meta was saved (absent in files written before cursors existed). */
  readonly cursors: Cursors;
}

/** Meta of a spool that has never been written. */
export const EMPTY_META: SpoolMeta = Object.freeze({
  version: 1,
  ackedSeq: 0,
  lastSeq: 0,
  pendingDrop: null,
  cursors: new Map(),
});

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function asPendingDrop(v: unknown): PendingDrop | null | undefined {
  if (v === null) return null;
  if (typeof v !== 'object' || v === undefined) return undefined;
  const d = v as Record<string, unknown>;
  if (!isSeq(d.seq) || !isSeq(d.dropped) || !isSeq(d.fromSeq) || !isSeq(d.toSeq)) return undefined;
  return { seq: d.seq, dropped: d.dropped, fromSeq: d.fromSeq, toSeq: d.toSeq };
}

/** Checks parsed JSON against the meta shape; null when it is not one. */
export function parseMeta(value: unknown): SpoolMeta | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  const pendingDrop = asPendingDrop(m.pendingDrop ?? null);
  const cursors = cursorsFromJson(m.cursors);
  if (m.version !== 1 || !isSeq(m.ackedSeq) || !isSeq(m.lastSeq) || pendingDrop === undefined) return null;
  if (cursors === undefined) return null;
  return { version: 1, ackedSeq: m.ackedSeq, lastSeq: m.lastSeq, pendingDrop, cursors };
}

/** What reading the meta file found: the meta (empty when absent or unreadable) and why it was unusable. */
export interface MetaRead {
  readonly meta: SpoolMeta;
  readonly problem: string | null;
}

/** Reads `dir/meta.json`. A missing file is a new spool; a damaged one is reported, never fatal. */
export async function readMeta(dir: string): Promise<MetaRead> {
  let text: string;
  try {
    text = await readFile(join(dir, META_FILE), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { meta: EMPTY_META, problem: null };
    throw err;
  }
  try {
    const meta = parseMeta(JSON.parse(text));
    return meta === null ? { meta: EMPTY_META, problem: 'unexpected content' } : { meta, problem: null };
  } catch {
    return { meta: EMPTY_META, problem: 'not JSON' };
  }
}

/** Replaces `dir/meta.json` atomically and durably. */
export async function writeMeta(dir: string, meta: SpoolMeta): Promise<void> {
  const target = join(dir, META_FILE);
  const tmp = target + TMP_SUFFIX;
  const fh = await open(tmp, 'w');
  try {
    await writeFully(
      fh,
      Buffer.from(JSON.stringify({ ...meta, cursors: cursorsToJson(meta.cursors) }) + '\n', 'utf8'),
      0,
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
  await renameWithRetry(tmp, target);
  await fsyncDir(dir);
}
