/**
 * What a log header may say: its timestamp and its PID. A header is taken only when its date exists: a corrupt or hostile line with
 * `0000-02-31` would otherwise become a finding whose time the agent cannot turn into a real instant (`Date.UTC`
 * maps years 0–99 to 1900–1999 and rolls 31 February over into March).
 */

/**
 * Most digits of a PID a header may carry: a process ID is 32 bits (10 digits). A longer run is no header; taken as one
 * it became a number past 2^53, which the parser's checkpoint schema refuses, so the tail could not resume.
 */
export const MAX_PID_DIGITS = 10;

/** Earliest year a Windows clock can show (FILETIME counts from 1601-01-01). */
const MIN_YEAR = 1601;

/** Most fraction-of-second digits a header may carry (Get-WindowsUpdateLog writes seven, .NET's `fffffff`). */
export const MAX_FRACTION_DIGITS = 7;

/** True when year `y` (1601–9999), month `mo` (1–12) and day `d` name a real calendar day. */
export function isCalendarDate(y: number, mo: number, d: number): boolean {
  if (y < MIN_YEAR || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  if (d <= 28) return true;
  if (mo === 2) return d === 29 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31);
}
