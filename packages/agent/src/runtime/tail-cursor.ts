/**
 * The log tail's cursor: the position in the log and the parser's state there (open detection cycles, held lines,
 * the line count), committed to the spool in the same append as the events of the bytes before that position. The
 * offset alone is not enough: a cycle whose START was read before it and whose END comes after would be lost on a
 * restart. With the state, the parser goes on exactly where it stood.
 */
import { join } from 'node:path';
import * as z from 'zod';
import { makeError, ParserStateSchema, type ParserState, type WuwatchError } from '@wuwatch/core';
import { readCursor } from '../spool/index.js';
import { TailPositionSchema } from '../tail/index.js';

/** The spool folder inside the agent's state directory. */
export const SPOOL_DIR_NAME = 'spool';

/** The spool key the log tail commits its cursor under. */
export const TAIL_CURSOR_KEY = 'log';

/** Schema of the tail cursor as stored in the spool. */
export const TailCursorSchema = z.object({
  v: z.literal(1),
  position: TailPositionSchema,
  /** Null: a new parser (the start of a file, or of the history skipped with `startAt: 'end'`). */
  parser: ParserStateSchema.nullable(),
});

/** Position and parser state of the log tail (the parser state as the parser gives it; defaults fill in on restore). */
export type TailCursor = z.input<typeof TailCursorSchema>;

/** A parser state with nothing open, `lineNo` lines already read (older checkpoint files hold only the count). */
export function emptyParserState(lineNo: number): ParserState {
  return {
    version: 1,
    lineNo,
    partial: { bytes: '', truncated: false, bomPending: false },
    detection: { open: [], recent: [] },
    settings: null,
    network: null,
    install: { cycles: [], pending: [] },
  };
}

/** The stored cursor checked: the cursor, or the error saying why it cannot be used (the log is then read again). */
export function tailCursorFrom(value: unknown): { cursor: TailCursor | null; problem: WuwatchError | null } {
  if (value === null || value === undefined) return { cursor: null, problem: null };
  const parsed = TailCursorSchema.safeParse(value);
  if (parsed.success) return { cursor: parsed.data, problem: null };
  const first = parsed.error.issues[0];
  const where = first === undefined ? 'unknown field' : `${first.path.join('.') || 'root'}: ${first.message}`;
  return { cursor: null, problem: makeError('TAIL_CHECKPOINT_INVALID', ['cursor in the spool', where]) };
}

/** The tail cursor an agent with state directory `stateDir` has committed, read without disturbing it (or null). */
export async function readTailCursor(stateDir: string): Promise<TailCursor | null> {
  return tailCursorFrom(await readCursor(join(stateDir, SPOOL_DIR_NAME), TAIL_CURSOR_KEY)).cursor;
}
