/**
 * First start after an upgrade from an agent that kept the tail's position in `stateDir/tail-checkpoint.json`: the
 * checkpoint becomes the first cursor in the spool, and the file goes.
 *
 * That agent spooled a chunk's events before it saved the checkpoint, and saved only every few megabytes, so the
 * spool may already hold events of the bytes after the checkpoint: the log events after the seq saved with it. The
 * parser is deterministic, so they are the first events parsing on from the checkpoint yields; the migration parses
 * on (spooling nothing) until it has seen that many, and commits the cursor there, with any events of the same line
 * beyond them. Nothing is spooled twice and nothing is skipped. A crash before the commit repeats the migration (the
 * spool is unchanged); one after it finds the cursor in the spool and only deletes the old file.
 */
import type { BigIntStats } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ParserStateSchema, WuLogParser, type Finding, type ParserState, type WireEvent } from '@wuwatch/core';
import type { Logger } from 'pino';
import { readTextIfExists } from '../platform/index.js';
import type { CursorInput, SpoolInput } from '../spool/index.js';
import { fileIdOf, hashHead, HEAD_BYTES, TailPositionSchema, type TailPosition } from '../tail/index.js';
import { emptyParserState, TAIL_CURSOR_KEY, type TailCursor } from './tail-cursor.js';
import { isLogEvent, logFindingToEvent } from './to-events.js';

/** The file older agents kept the tail checkpoint in, inside the state directory. */
export const LEGACY_CHECKPOINT_FILE = 'tail-checkpoint.json';

/** The part of the spool the migration uses. */
export interface MigrationSpool {
  cursor(key: string): Record<string, unknown> | null;
  append(events: readonly SpoolInput[], cursor?: CursorInput): Promise<WireEvent[]>;
  peek(afterSeq: number, maxCount: number, maxBytes: number): Promise<WireEvent[]>;
}

/** What {@link migrateLegacyCheckpoint} needs. */
export interface MigrationDeps {
  stateDir: string;
  logPath: string;
  /** UTC offset of log timestamps in minutes (east positive). */
  offsetMinutes: number;
  spool: MigrationSpool;
  log: Logger;
}

interface Legacy {
  position: TailPosition;
  /** The parser state saved with it (or rebuilt from a line count); null when there was none. */
  parser: ParserState | null;
  /** Seq of the last log event spooled when it was saved; null when not known (or no state to go on from). */
  logSeq: number | null;
}

const READ_BYTES = 512 * 1024;
const LF = 0x0a;

/** Turns an old `tail-checkpoint.json` into the spool's first tail cursor; see the file comment. */
export async function migrateLegacyCheckpoint(deps: MigrationDeps): Promise<void> {
  const file = join(deps.stateDir, LEGACY_CHECKPOINT_FILE);
  const text = await readTextIfExists(file);
  if (text === null) return;
  if (deps.spool.cursor(TAIL_CURSOR_KEY) === null) {
    const legacy = parseLegacy(text, deps.log);
    if (legacy === null) {
      deps.log.warn({ file }, 'old log tail checkpoint unusable; the log is read again from its start');
    } else {
      await commitLegacy(deps, legacy);
    }
  }
  await unlink(file).catch(() => undefined);
}

function parseLegacy(text: string, log: Logger): Legacy | null {
  let v: { checkpoint?: unknown; parser?: unknown; lines?: unknown; logSeq?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    return null;
  }
  const cp = TailPositionSchema.safeParse(v.checkpoint);
  if (!cp.success) return null;
  let parser: ParserState | null = null;
  if (v.parser !== undefined && v.parser !== null) {
    const parsed = ParserStateSchema.safeParse(v.parser);
    if (parsed.success) parser = parsed.data;
    else
      log.warn({ problem: parsed.error.issues[0]?.message }, 'old log parser state unusable; a fresh parser goes on');
  }
  const hasLogSeq = typeof v.logSeq === 'number' && Number.isSafeInteger(v.logSeq) && v.logSeq >= 0;
  // The count of what is spooled after it is only meaningful with the state the events were parsed from.
  const logSeq = hasLogSeq && (cp.data.offset === 0 || parser !== null) ? (v.logSeq as number) : null;
  // Files written before the parser state was saved hold only the line count.
  if (parser === null && typeof v.lines === 'number' && Number.isInteger(v.lines) && v.lines >= 0) {
    parser = emptyParserState(v.lines);
  }
  return { position: cp.data, parser: cp.data.offset === 0 ? null : parser, logSeq };
}

async function commitLegacy(deps: MigrationDeps, legacy: Legacy): Promise<void> {
  const spooled = legacy.logSeq === null ? 0 : await logEventsAfter(deps.spool, legacy.logSeq);
  let cursor: TailCursor = { v: 1, position: legacy.position, parser: legacy.parser };
  let events: SpoolInput[] = [];
  if (spooled > 0) {
    if (await sameFile(deps.logPath, legacy.position)) {
      ({ cursor, events } = await parseOn(deps, legacy, spooled));
    } else {
      // The file is gone: the run before may have spooled the end of its open cycles, so they are not ended again.
      cursor = { ...cursor, parser: null };
    }
  }
  await deps.spool.append(events, { key: TAIL_CURSOR_KEY, value: cursor });
  deps.log.info(
    { offset: cursor.position.offset, alreadySpooled: spooled },
    'log tail checkpoint moved into the spool (tail-checkpoint.json is no longer used)',
  );
}

/** How many log events the spool holds after `seq`. */
async function logEventsAfter(spool: MigrationSpool, seq: number): Promise<number> {
  let n = 0;
  for (let after = seq; ;) {
    const batch = await spool.peek(after, 1000, 4 * 1024 * 1024);
    if (batch.length === 0) return n;
    for (const e of batch) if (isLogEvent(e)) n++;
    after = batch[batch.length - 1]!.seq;
  }
}

async function sameFile(path: string, position: TailPosition): Promise<boolean> {
  let st: BigIntStats;
  try {
    st = await stat(path, { bigint: true });
  } catch {
    return false;
  }
  if (fileIdOf(st) !== position.fileId || Number(st.size) < position.offset) return false;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(position.headLength, HEAD_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return bytesRead === head.length && hashHead(head) === position.headHash;
  } finally {
    await fh.close();
  }
}

/**
 * Parses on from the checkpoint, line by line, until `spooled` events came out: the cursor goes after that line,
 * with the events of the line beyond them.
 */
async function parseOn(
  deps: MigrationDeps,
  legacy: Legacy,
  spooled: number,
): Promise<{ cursor: TailCursor; events: SpoolInput[] }> {
  const findings: Finding[] = [];
  const parser = new WuLogParser({ onFinding: (f) => findings.push(f) });
  if (legacy.parser !== null) parser.restore(legacy.parser);
  let offset = legacy.position.offset;
  const fh = await open(deps.logPath, 'r');
  try {
    for (;;) {
      const buf = Buffer.alloc(READ_BYTES);
      const { bytesRead } = await fh.read(buf, 0, READ_BYTES, offset);
      const data = buf.subarray(0, bytesRead);
      let lineStart = 0;
      for (let lf = data.indexOf(LF); lf !== -1; lf = data.indexOf(LF, lineStart)) {
        parser.push(data.subarray(lineStart, lf + 1));
        lineStart = lf + 1;
        if (findings.length >= spooled) {
          const now = new Date();
          const events = findings.slice(spooled).map((f) => logFindingToEvent(f, deps.offsetMinutes, now));
          const position = { ...legacy.position, offset: offset + lineStart };
          return { cursor: { v: 1, position, parser: parser.snapshot() }, events };
        }
      }
      // No whole line left in what was read: the end of the file (or a line longer than a read: read on from it).
      if (lineStart === 0 && bytesRead < READ_BYTES) break;
      offset += lineStart === 0 ? bytesRead : lineStart;
      if (lineStart === 0) parser.push(data);
    }
  } finally {
    await fh.close();
  }
  deps.log.warn(
    { spooled, parsed: findings.length },
    'the log yields fewer events after the old checkpoint than the spool holds; the tail goes on from its end',
  );
  return { cursor: { v: 1, position: { ...legacy.position, offset }, parser: parser.snapshot() }, events: [] };
}
