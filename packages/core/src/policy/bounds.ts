/**
 * Size bounds of a typed policy. A policy travels as one event whose data the wire limits to
 * LIMITS.maxEventDataBytes (64 KiB), so what a registry export can put into it is bounded here: every string at
 * LIMITS.maxTextField characters, a REG_MULTI_SZ at {@link MAX_LIST_ITEMS} items, and the values kept in `other`
 * (unknown names, wrong types, other subkeys) at {@link OTHER_BUDGET_BYTES} of JSON; values past that are left out.
 * A real Windows Update policy is a few hundred bytes; only a corrupt or hostile export reaches these bounds, and it
 * must still give an event the agent can send instead of one refused forever.
 */
import { clipText } from '../wulog/codes.js';
import type { RegValue } from './types.js';

/** JSON bytes of `other` values one policy (or one MDM policy) keeps: two of them and the typed values fit 64 KiB. */
export const OTHER_BUDGET_BYTES = 16 * 1024;
/** Items of a REG_MULTI_SZ kept. */
export const MAX_LIST_ITEMS = 64;

/** `value` with its strings within the bounds above (binary data as at most LIMITS.maxTextField hex digits). */
export function boundValue(value: RegValue): RegValue {
  switch (value.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type: value.type, value: clipText(value.value) };
    case 'REG_MULTI_SZ':
      return { type: value.type, value: value.value.slice(0, MAX_LIST_ITEMS).map(clipText) };
    case 'REG_DWORD':
    case 'REG_DWORD_BIG_ENDIAN':
    case 'REG_QWORD':
      return value;
    default: {
      const hex = clipText(value.value);
      return { type: value.type, value: hex.length % 2 === 0 ? hex : hex.slice(0, -1) };
    }
  }
}

/** Counts the JSON bytes of the `other` values kept so far; says whether the next one still fits. */
export class OtherBudget {
  private left = OTHER_BUDGET_BYTES;

  /** True (and the bytes are counted) when `name` = `value` fits in what is left. */
  take(name: string, value: RegValue): boolean {
    const bytes = Buffer.byteLength(JSON.stringify(name)) + Buffer.byteLength(JSON.stringify(value)) + 2;
    if (bytes > this.left) return false;
    this.left -= bytes;
    return true;
  }
}
