/**
 * Opening a spool folder after a clean stop or a crash: scan every segment, cut damaged tails (truncate to the
 * last good frame, an append cut short as a whole), drop empty or fully acknowledged segments, and recover the seq
 * high-water mark and the latest cursor of each producer.
 */
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, unlinkIfExists } from './fsutil.js';
import { readMeta, TMP_SUFFIX, writeMeta } from './meta.js';
import { keepLatest } from './cursor.js';
import type { CursorRecord } from './cursor.js';
import type { SpoolMeta } from './meta.js';
import { parseSegmentFileName, scanSegment, segmentFileName } from './segment.js';
import type { SegmentState } from './segment.js';
import type { SpoolCut, SpoolLogger, SpoolOpenReport } from './types.js';

/** State recovered from disk. */
export interface Recovered {
  readonly segments: SegmentState[];
  readonly meta: SpoolMeta;
  /** Highest seq ever assigned, from the segments and the meta file. */
  readonly lastSeq: number;
  /** Highest seq found in any segment, including those deleted on open as acknowledged (0: none). */
  readonly storedMaxSeq: number;
  /** Number for the next new segment (above every segment seen, even deleted ones). */
  readonly nextSegmentNo: number;
  readonly report: SpoolOpenReport;
  /** The latest cursor of each producer, from the segments and the meta file. */
  readonly cursors: Map<string, CursorRecord>;
  /** Highest cursor generation seen (0: none). */
  readonly cursorGen: number;
}

async function truncateDurably(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Scans and repairs the spool in `dir`, logging every cut. */
export async function recover(dir: string, logger: SpoolLogger, chunkBytes?: number): Promise<Recovered> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  let removedFiles = false;
  for (const name of names) {
    // A temp file is a meta replacement that never got renamed in: the old meta is still authoritative.
    if (name.endsWith(TMP_SUFFIX)) {
      await unlinkIfExists(join(dir, name));
      removedFiles = true;
    }
  }
  const { meta, problem } = await readMeta(dir);
  if (problem !== null) logger.warn({ dir, problem }, 'spool meta file unusable; resending every stored event');

  const numbers = names
    .map(parseSegmentFileName)
    .filter((n): n is number => n !== null)
    .sort((a, b) => a - b);
  const kept: SegmentState[] = [];
  const doomed: SegmentState[] = [];
  const cuts: SpoolCut[] = [];
  const cursors = new Map(meta.cursors);
  let prevSeq = 0;
  for (const [i, no] of numbers.entries()) {
    const scan = await scanSegment(dir, no, prevSeq, chunkBytes);
    const seg = scan.segment;
    if (scan.cut !== null) {
      const tornTail = i === numbers.length - 1 && scan.cut.fault === 'torn';
      const cut: SpoolCut = { file: segmentFileName(no), ...scan.cut, tornTail };
      cuts.push(cut);
      await truncateDurably(seg.path, scan.cut.offset);
      if (tornTail) logger.warn({ ...cut }, 'spool: cut a torn write at the end of the newest segment');
      else logger.error({ ...cut }, 'spool: segment damaged; cut it at the last good frame, later bytes are lost');
    }
    for (const c of scan.cursors) keepLatest(cursors, c);
    prevSeq = Math.max(prevSeq, seg.lastSeq);
    if (seg.count === 0 || seg.lastSeq <= meta.ackedSeq) doomed.push(seg);
    else kept.push(seg);
  }
  if (doomed.length > 0) {
    // A segment about to go may hold the latest cursor of a producer: the meta file keeps it first.
    const newer = [...cursors.values()].some((c) => (meta.cursors.get(c.key)?.gen ?? 0) < c.gen);
    if (newer) await writeMeta(dir, { ...meta, cursors });
    for (const seg of doomed) await unlinkIfExists(seg.path);
    removedFiles = true;
  }
  const removedSegments = doomed.length;
  if (removedFiles) await fsyncDir(dir);

  // Every kept segment is reopened for reading only, except that the newest may take more appends.
  for (const seg of kept.slice(0, -1)) seg.sealed = true;
  const lastSeq = Math.max(meta.lastSeq, meta.ackedSeq, prevSeq);
  const lostBytes = cuts.reduce((sum, c) => sum + c.lostBytes, 0);
  const records = kept.reduce((sum, s) => sum + s.count, 0);
  const report: SpoolOpenReport = {
    segments: kept.length,
    records,
    ackedSeq: meta.ackedSeq,
    lastSeq,
    cuts,
    lostBytes,
    removedSegments,
    metaProblem: problem,
  };
  logger.info({ dir, ...report, cuts: cuts.length }, 'spool opened');
  return {
    segments: kept,
    meta,
    lastSeq,
    storedMaxSeq: prevSeq,
    nextSegmentNo: (numbers[numbers.length - 1] ?? 0) + 1,
    report,
    cursors,
    cursorGen: Math.max(0, ...[...cursors.values()].map((c) => c.gen)),
  };
}
