/**
 * HRESULT normalisation: every code wuwatch stores or prints is `0x` + 8 upper-case hex digits.
 * Windows writes the same code many ways (`0x8024402c`, `hr = 80072ee2`, `[8024401C]`, `-2145107934`).
 */
import { makeError } from '../errors/errors.js';

/** An HRESULT as `0x` + 8 upper-case hex digits. */
export type Hresult = string;

const HEX_PREFIXED = /^0x([0-9a-f]{1,8})$/i;
const BARE_HEX = /^([0-9a-f]{1,8})$/i;
const DECIMAL = /^-?\d+$/;

/** Formats a 32-bit unsigned number as a normalised HRESULT. */
export function formatHresult(value: number): Hresult {
  return '0x' + (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * Normalises one code as a person or a tool writes it; returns null when it is not a code.
 * Accepts `0x80244022`, `0X80244022`, `80244022`, `80244022L`, `hr = 80244022`, `hr=0x…`, `error 0x…`,
 * `error = 0x…`, `Exit code = 0x240001`, `[8024401C]`, signed or unsigned decimal.
 */
export function parseHresult(input: string): Hresult | null {
  const raw = input.trim();
  let s = raw.replace(/^(?:hr|hresult|error|err|exit code|result|code)\s*[=:]?\s*/i, '');
  s = s.replace(/^\[(.*)\]$/, '$1').trim();
  // After a label or inside brackets Windows always writes hex, even when it has no letters.
  const labelled = s !== raw;
  s = s.replace(/[lL]$/, '');
  const prefixed = HEX_PREFIXED.exec(s);
  if (prefixed) return formatHresult(parseInt(prefixed[1]!, 16));
  // A bare 8-digit string is hex (that is how Windows writes codes without 0x); shorter all-digit strings are decimal.
  if (/^[0-9a-f]{8}$/i.test(s) || (labelled && BARE_HEX.test(s))) return formatHresult(parseInt(s, 16));
  if (DECIMAL.test(s)) {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < -0x80000000 || n > 0xffffffff) return null;
    return formatHresult(n < 0 ? n + 0x100000000 : n);
  }
  if (BARE_HEX.test(s) && /[a-f]/i.test(s)) return formatHresult(parseInt(s, 16));
  return null;
}

/** Like {@link parseHresult} but throws WUW_INVALID_HRESULT for input that is not a code. */
export function normalizeHresult(input: string): Hresult {
  const code = parseHresult(input);
  if (code === null) throw makeError('INVALID_HRESULT', [JSON.stringify(input)]);
  return code;
}

/** True for success codes (S_OK and the WU_S_* informational codes), which are not failures. */
export function isSuccessHresult(code: Hresult): boolean {
  return (parseInt(code.slice(2), 16) & 0x80000000) === 0;
}
