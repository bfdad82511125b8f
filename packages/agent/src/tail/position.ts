/**
 * Where the log tail stands in one file: which file (identity and head) and how far into it. The runtime commits it
 * to the spool together with the events of the bytes before it (see runtime/log-sink.ts), so it is stored nowhere
 * else; here it is only defined and checked.
 */
import * as z from 'zod';
import { makeError } from '@wuwatch/core';
import { HEAD_BYTES } from './identity.js';

/** Schema of a tail position. */
export const TailPositionSchema = z.object({
  /** Path the position belongs to; a position for another path is ignored. */
  path: z.string().min(1),
  /** `dev:ino` of the file. */
  fileId: z.string().min(1),
  /** Byte offset just past the last byte taken (always after an LF except for over-long lines). */
  offset: z.number().int().nonnegative(),
  /** sha256 (hex) of the first `headLength` bytes of the file. */
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** How many head bytes `headHash` covers: the file may have been shorter than HEAD_BYTES when first read. */
  headLength: z.number().int().min(0).max(HEAD_BYTES),
});

/** Position of the tail in one file. */
export type TailPosition = z.infer<typeof TailPositionSchema>;

/** Checks a stored position; throws TAIL_CHECKPOINT_INVALID naming `source` and the first bad field. */
export function parsePosition(value: unknown, source = 'tail position'): TailPosition {
  const parsed = TailPositionSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined ? 'unknown field' : `${first.path.join('.') || 'root'}: ${first.message}`;
    throw makeError('TAIL_CHECKPOINT_INVALID', [source, where]);
  }
  return parsed.data;
}
