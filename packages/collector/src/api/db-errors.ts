/** Telling database failures apart from bugs, so the API can answer 503 WUW_DATABASE and count them. */

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/** True for errors raised by PostgreSQL/PGlite (SQLSTATE), the connection to it, or Prisma's driver layer. */
export function isDatabaseError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (/^[0-9A-Z]{5}$/.test(e.code) || CONNECTION_CODES.has(e.code))) return true;
  if (typeof e.name === 'string' && /^(PrismaClient|DriverAdapterError)/.test(e.name)) return true;
  // pg's own messages for a pool or client that lost or closed its connection.
  return typeof e.message === 'string' && /Connection terminated|Cannot use a pool after calling end/.test(e.message);
}
