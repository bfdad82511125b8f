/**
 * Checks and serialises events before they enter the append queue, so a malformed event is refused to its
 * caller instead of sitting in the spool as a poison record the collector rejects forever.
 */
import { checkEventData, isWireEventShape, makeError, WireEvent } from '@wuwatch/core';
import { eventBody } from './frame.js';
import type { SpoolInput } from './types.js';

const InputSchema = WireEvent.omit({ seq: true });

/** An event validated and serialised up to its seq. */
export interface PreparedEvent {
  readonly input: SpoolInput;
  /** {@link eventBody}: the payload JSON after `{"seq":N,`. */
  readonly body: string;
  /** UTF-8 length of `body`. */
  readonly bodyBytes: number;
}

/** Validates one event against the wire schema and size limit and serialises it; throws SPOOL_EVENT_INVALID. */
export function prepareEvent(input: SpoolInput, index: number): PreparedEvent {
  // The fast check accepts only what the schema accepts; anything it is unsure of goes to the schema.
  if (!isWireEventShape(input)) {
    const parsed = InputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : `${issue.path.join('.') || 'event'}: ${issue.message}`;
      throw makeError('SPOOL_EVENT_INVALID', [`event #${index} ${where}`]);
    }
  }
  let dataJson: string;
  try {
    dataJson = JSON.stringify(input.data);
  } catch (err) {
    throw makeError('SPOOL_EVENT_INVALID', [`event #${index} data is not JSON-serialisable`], undefined, err);
  }
  // Per-kind data and size: what the collector would refuse must not sit in the spool blocking delivery.
  const problem = checkEventData(input.kind, input.data, dataJson);
  if (problem !== null) throw makeError('SPOOL_EVENT_INVALID', [`event #${index} (${input.kind}) ${problem}`]);
  const body = eventBody(input.time, input.kind, dataJson);
  return { input, body, bodyBytes: Buffer.byteLength(body, 'utf8') };
}
