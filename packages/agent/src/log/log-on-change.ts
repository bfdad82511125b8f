/**
 * Logs a recurring failure once per change rather than once per retry: a collector that is down for a day would
 * otherwise fill the log with the same line every backoff step and hide the one line that says what changed.
 */
import type { Logger } from 'pino';

/** What {@link FailureLog.failed} is told about one failed attempt. */
export interface FailureReport {
  /** Identifies the failure: the same key again is not logged again (e.g. an error code plus its message). */
  key: string;
  /** Fields of the log line. */
  fields?: Record<string, unknown>;
  msg: string;
}

/** Tracks one recurring activity's failures (enrollment, the probe, delivery). */
export interface FailureLog {
  /** Logs a warning if this failure differs from the last one logged; otherwise nothing. */
  failed(report: FailureReport): void;
  /** Logs that the activity works again, once, if a failure was logged since the last recovery. */
  recovered(fields?: Record<string, unknown>): void;
}

/** Creates a {@link FailureLog} for one activity; `what` names it in the recovery line. */
export function failureLog(log: Logger, what: string): FailureLog {
  let lastKey: string | null = null;
  let repeats = 0;
  return {
    failed({ key, fields, msg }) {
      if (key === lastKey) {
        repeats++;
        return;
      }
      lastKey = key;
      repeats = 0;
      log.warn({ ...fields, failure: key }, msg);
    },
    recovered(fields) {
      if (lastKey === null) return;
      log.info({ ...fields, previousFailure: lastKey, repeatsNotLogged: repeats }, `${what} works again`);
      lastKey = null;
      repeats = 0;
    },
  };
}

/** A failure key from an error: its stable code when it has one, and its message. */
export function failureKey(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
