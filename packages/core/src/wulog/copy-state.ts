/**
 * Copying tracker state for a snapshot. Its own module (not state.ts) so that the trackers, which the zod-free
 * streaming parser (stream.ts) loads, do not import the checkpoint schema and with it zod.
 */

/** Deep copy of plain data, so a snapshot never aliases objects the trackers go on mutating. */
export function copyState<T>(value: T): T {
  return structuredClone(value);
}
