/**
 * How a finished operation's exit code counts: success, a real failure, or a cancellation. A cancelled scan or
 * install was interrupted by Windows itself and says nothing about the update server or the machine's health; it is
 * not a failure (it never builds a failure streak) and not a success (it does not refresh "last successful scan").
 *
 * Cancellation codes (wuerror.h, winerror.h; Microsoft Learn "Windows Update error codes by component"):
 * - 0x8024000B WU_E_CALL_CANCELLED "Operation was cancelled." The client writes it when a search is superseded (a
 *   user's "Check for updates" cancels a background or driver scan; "cancelled due to a new interactive search
 *   request. Will attempt later.").
 * - 0x8024001E WU_E_SERVICE_STOP "Operation did not complete because the service or system was being shut down."
 * - 0x8024A10A USO_E_SERVICE_SHUTTING_DOWN: the Update Session Orchestrator was shutting down.
 * - 0x800704C7 ERROR_CANCELLED "The operation was canceled by the user."
 * Deliberately NOT a cancellation: 0x8024002F WU_E_CALL_CANCELLED_BY_POLICY ("Operation did not complete because the
 * DisableWindowsUpdateAccess policy was set"): despite its name it is a refusal that repeats at every scan until the
 * policy is fixed, so it stays a failure.
 */
import { isSuccessHresult, type Hresult } from '../hresult/normalize.js';

/** Codes that mean "interrupted", not "failed" (see the module comment for the source of each). */
export const CANCELLED_HRESULTS: ReadonlySet<Hresult> = new Set([
  '0x8024000B',
  '0x8024001E',
  '0x8024A10A',
  '0x800704C7',
]);

/** How an operation that ended counts. */
export type EndedOutcome = 'succeeded' | 'failed' | 'cancelled';

/** Outcome of an operation that ended with `code` (null = no code logged, which the client does on success). */
export function outcomeOfCode(code: Hresult | null): EndedOutcome {
  if (code === null || isSuccessHresult(code)) return 'succeeded';
  return CANCELLED_HRESULTS.has(code) ? 'cancelled' : 'failed';
}
