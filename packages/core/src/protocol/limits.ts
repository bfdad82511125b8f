/**
 * The wire's size limits, in a module of their own with no imports: the log parser (`@wuwatch/core/wulog`, which
 * `parse-log` loads alone) clips its text to them without paying for the protocol's zod schemas at start-up.
 */

/** Size limits both sides enforce. */
export const LIMITS = Object.freeze({
  /** Largest frame the collector accepts (ws maxPayload). */
  maxFrameBytes: 1024 * 1024,
  /** Most events in one batch. */
  maxBatchEvents: 1000,
  /** Largest serialised `data` of one event. */
  maxEventDataBytes: 64 * 1024,
  maxTextField: 2048,
});
