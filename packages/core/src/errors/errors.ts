/**
 * One catalogue of typed errors with stable codes, modelled on fastify's errors.js.
 * Every message tells the operator what to do next; codes never change once released.
 */

/** Definition of one catalogued error. */
export interface ErrorDefinition {
  readonly code: string;
  readonly message: string;
  /** HTTP status the collector API answers with when this error reaches a client. */
  readonly statusCode: number;
}

/** An error from the catalogue: `code` is stable and safe to match on. */
export class WuwatchError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(def: ErrorDefinition, message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WuwatchError';
    this.code = def.code;
    this.statusCode = def.statusCode;
    this.details = details;
  }
}

function define(code: string, statusCode: number, message: string): ErrorDefinition {
  return Object.freeze({ code, statusCode, message });
}

/** All error codes of wuwatch. Messages use %s placeholders filled in by {@link makeError}. */
export const Errors = Object.freeze({
  // core / parsing
  INVALID_HRESULT: define(
    'WUW_INVALID_HRESULT',
    400,
    'Not an HRESULT: %s. Give a code such as 0x80244022, 80244022 or -2145107934.',
  ),
  INVALID_POLICY: define(
    'WUW_INVALID_POLICY',
    400,
    'Could not read the Windows Update policy: %s. Export it again with "reg query" or regedit.',
  ),
  INVALID_EVENT_XML: define(
    'WUW_INVALID_EVENT_XML',
    400,
    'Could not read wevtutil XML: %s. Export it with "wevtutil qe <channel> /f:xml /e:Events".',
  ),
  WULOG_PARSER_ENDED: define('WUW_WULOG_PARSER_ENDED', 500, 'Log parser: %s() after end(). This is a bug; report it.'),
  WULOG_STATE_INVALID: define(
    'WUW_WULOG_STATE_INVALID',
    500,
    'Saved log parser state is not usable: %s. The tail goes on from its saved offset with a fresh parser, so a cycle open at that point may be reported incompletely.',
  ),
  // protocol
  PROTOCOL_INVALID_FRAME: define(
    'WUW_PROTOCOL_INVALID_FRAME',
    400,
    'Invalid protocol frame: %s. Upgrade the agent or collector so both speak the same protocol version.',
  ),
  PROTOCOL_FRAME_TOO_LARGE: define(
    'WUW_PROTOCOL_FRAME_TOO_LARGE',
    413,
    'Protocol frame too large: %s. Lower the agent batch size.',
  ),
  PROTOCOL_VERSION: define(
    'WUW_PROTOCOL_VERSION',
    400,
    'No protocol version in common (%s). Upgrade the older side: a collector accepts agents one version ahead and any older one.',
  ),
  // config and I/O
  CONFIG_INVALID: define(
    'WUW_CONFIG_INVALID',
    500,
    'Invalid configuration: %s. Fix the value named above and start again.',
  ),
  FILE_UNWRITABLE: define(
    'WUW_FILE_UNWRITABLE',
    500,
    'Cannot write %s. Check free disk space and that this account may write to the folder.',
  ),
  TAIL_CHECKPOINT_INVALID: define(
    'WUW_TAIL_CHECKPOINT_INVALID',
    500,
    'The log tail checkpoint %s is damaged (%s); the log is read again from its start. Delete the file if this repeats.',
  ),
  FILE_UNREADABLE: define(
    'WUW_FILE_UNREADABLE',
    500,
    'Cannot read %s. Check that the path exists and that this account may read it.',
  ),
  COMMAND_FAILED: define('WUW_COMMAND_FAILED', 500, '%s failed: %s. Run it by hand in an elevated prompt to see why.'),
  SOURCE_OUTPUT_INVALID: define('WUW_SOURCE_OUTPUT_INVALID', 500, 'Unexpected output from %s: %s. Please report it.'),
  SPOOL_CLOSED: define('WUW_SPOOL_CLOSED', 500, 'The event spool is %s. Open it again before using it.'),
  SPOOL_IO: define('WUW_SPOOL_IO', 500, 'Spool I/O failed (%s). Check free disk space and rights on the spool folder.'),
  SPOOL_EVENT_INVALID: define('WUW_SPOOL_EVENT_INVALID', 500, 'Event refused by the spool: %s. This is an agent bug.'),
  // auth and API
  UNAUTHORIZED: define(
    'WUW_UNAUTHORIZED',
    401,
    'Missing or invalid credentials: %s. Pass a valid token as "Authorization: Bearer <token>".',
  ),
  ENROLL_SECRET_INVALID: define(
    'WUW_ENROLL_SECRET_INVALID',
    401,
    'The enrollment secret is unknown or revoked (or expired, or used up). Create one with "wuwatch enroll-secret create" and use it.',
  ),
  ENROLL_FAILED: define(
    'WUW_ENROLL_FAILED',
    502,
    'Enrollment failed: %s. Check the collector URL and that the collector is running.',
  ),
  FORBIDDEN: define(
    'WUW_FORBIDDEN',
    403,
    'Not allowed: %s. Use an API token (create one with "wuwatch token create").',
  ),
  NOT_FOUND: define('WUW_NOT_FOUND', 404, '%s was not found. Check the id.'),
  METHOD_NOT_ALLOWED: define(
    'WUW_METHOD_NOT_ALLOWED',
    405,
    '%s is not allowed on %s. Use one of: %s (see /openapi.json).',
  ),
  NOT_READY: define(
    'WUW_NOT_READY',
    503,
    'Not ready: %s. Check that PostgreSQL is reachable and run "wuwatch migrate".',
  ),
  API_ANSWER_INVALID: define(
    'WUW_API_ANSWER_INVALID',
    502,
    '%s answered HTTP %s with %s instead of JSON. Check --url/WUWATCH_URL: a proxy or another server answered.',
  ),
  BAD_REQUEST: define('WUW_BAD_REQUEST', 400, 'Bad request: %s.'),
  RATE_LIMITED: define('WUW_RATE_LIMITED', 429, 'Too many requests: %s. Wait a minute and try again.'),
  DATABASE: define(
    'WUW_DATABASE',
    503,
    'Database error: %s. Check that PostgreSQL is reachable and DATABASE_URL is right.',
  ),
  EMBEDDED_DB_OPEN: define(
    'WUW_EMBEDDED_DB_OPEN',
    503,
    'Cannot open the embedded PGlite database in %s: %s. Make sure no other collector uses this data directory and that it was written by the same PGlite version, or set DATABASE_URL to use PostgreSQL.',
  ),
  DATABASE_MIGRATION: define(
    'WUW_DATABASE_MIGRATION',
    503,
    'Database migration failed: %s. Fix the cause, then run "npm run db:migrate" or restart the collector; the _prisma_migrations table shows what was applied.',
  ),
  ALERT_DELIVERY: define(
    'WUW_ALERT_DELIVERY',
    502,
    'Alert delivery through %s failed: %s. Check the channel settings and that the receiver is up; wuwatch retries with backoff.',
  ),
  SCENARIO_INVALID: define('WUW_SCENARIO_INVALID', 400, 'Invalid simulator scenario %s: %s. Fix the file and retry.'),
  INTERNAL: define('WUW_INTERNAL', 500, 'Internal error: %s. This is a bug; please report it with the log line.'),
});

/** Keys of the error catalogue. */
export type ErrorKey = keyof typeof Errors;

/** Builds a catalogued error, filling the message's %s placeholders in order. */
export function makeError(
  key: ErrorKey,
  args: readonly (string | number)[] = [],
  details?: Record<string, unknown>,
  cause?: unknown,
): WuwatchError {
  const def = Errors[key];
  let i = 0;
  const message = def.message.replace(/%s/g, () => String(args[i++] ?? ''));
  return new WuwatchError(def, message, details, cause);
}

/** True when `err` is a catalogued wuwatch error, optionally with the given key's code. */
export function isWuwatchError(err: unknown, key?: ErrorKey): err is WuwatchError {
  return err instanceof WuwatchError && (key === undefined || err.code === Errors[key].code);
}
