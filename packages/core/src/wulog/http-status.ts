/** HTTP status behind a Windows Update or BITS HRESULT (design doc §6). */
import type { Hresult } from '../hresult/normalize.js';

/**
 * WU_E_PT_HTTP_STATUS_* codes, low 16 bits → HTTP status. This family is a lookup, not arithmetic.
 * 0x80244023 is WU_E_PT_HTTP_STATUS_GATEWAY_TIMEOUT, but wuerror.h's text for it reads "Same as HTTP status 503";
 * the client raises it for what the server answered as 503, so 503 is the status an operator will find in the
 * server's own logs, and we report that rather than the name's 504.
 */
const WU_HTTP_STATUS: ReadonlyMap<number, number> = new Map([
  [0x4016, 400],
  [0x4017, 401],
  [0x4018, 403],
  [0x4019, 404],
  [0x401a, 405],
  [0x401b, 407],
  [0x401c, 408],
  [0x401d, 409],
  [0x401e, 410],
  [0x401f, 500],
  [0x4020, 501],
  [0x4021, 502],
  [0x4022, 503],
  [0x4023, 503],
  [0x4024, 505],
]);

/** HTTP status encoded in a code: BITS `0x80190000 + status`, or the WU_E_PT_HTTP_STATUS_* lookup; else null. */
export function httpStatusFromHresult(code: Hresult | null): number | null {
  if (code === null) return null;
  const value = parseInt(code.slice(2), 16);
  const high = value >>> 16;
  const low = value & 0xffff;
  if (high === 0x8019) return low >= 100 && low <= 599 ? low : null;
  if (high === 0x8024) return WU_HTTP_STATUS.get(low) ?? null;
  return null;
}
