/** Helpers shared by the registry readers: key paths and value maps with registry (case-insensitive) semantics. */
import { wellFormed } from './decode.js';
import type { RegistryKey, RegValue } from './types.js';

const HIVES: Record<string, string> = {
  HKLM: 'HKEY_LOCAL_MACHINE',
  HKCU: 'HKEY_CURRENT_USER',
  HKCR: 'HKEY_CLASSES_ROOT',
  HKU: 'HKEY_USERS',
  HKCC: 'HKEY_CURRENT_CONFIG',
};

/** Spells the hive out (`HKLM\…` → `HKEY_LOCAL_MACHINE\…`, upper-case) and drops stray backslashes at the ends. */
export function normalizeKeyPath(path: string): string {
  const trimmed = path.trim().replace(/^\\+|\\+$/g, '');
  const cut = trimmed.indexOf('\\');
  const hive = (cut === -1 ? trimmed : trimmed.slice(0, cut)).toUpperCase();
  const rest = cut === -1 ? '' : trimmed.slice(cut);
  return (HIVES[hive] ?? hive) + rest;
}

/** True when the line names a registry key (starts with a hive name). */
export function startsWithHive(text: string): boolean {
  const head = text.split('\\', 1)[0]!.toUpperCase();
  return head.startsWith('HKEY_') || head in HIVES;
}

/** Case-insensitive path equality, as the registry compares key names. */
export function samePath(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** True when `path` is `ancestor` or lies below it. */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  const p = path.toLowerCase();
  const a = ancestor.toLowerCase();
  return p === a || p.startsWith(a + '\\');
}

/**
 * A key's values by name with registry semantics (names are case-insensitive; setting one replaces a value whose name
 * differs only in case), in time linear in the number of values: a hostile export with 100,000 values in one key
 * must not cost 100,000² name comparisons. Writes through to `values`, whose insertion order it keeps (a replaced
 * value moves to the end, as before). defineProperty keeps a value named `__proto__` an ordinary own property.
 */
export class ValueMap<T> {
  /** Lower-case name → the spelling stored in {@link values}. */
  private readonly names = new Map<string, string>();

  constructor(readonly values: Record<string, T>) {
    for (const name of Object.keys(values)) this.names.set(name.toLowerCase(), name);
  }

  /** Sets a value by name, replacing one whose name differs only in case. */
  put(name: string, value: T): void {
    this.remove(name);
    Object.defineProperty(this.values, name, { value, enumerable: true, writable: true, configurable: true });
    this.names.set(name.toLowerCase(), name);
  }

  /** Removes a value by case-insensitive name; true if one was there. */
  remove(name: string): boolean {
    const lower = name.toLowerCase();
    const stored = this.names.get(lower);
    if (stored === undefined) return false;
    delete this.values[stored];
    this.names.delete(lower);
    return true;
  }
}

/** Most keys a reader holds at once: a policy export has a handful; more is not one (and bounds the work). */
export const MAX_KEYS = 10_000;

/** A key being read and the index of its values. */
export interface KeyEntry {
  key: RegistryKey;
  values: ValueMap<RegValue>;
}

/**
 * The keys of an export as a reader builds them: found by path case-insensitively in constant time, in input order
 * (a key deleted and added again moves to the end, as before).
 */
export class KeySet {
  private readonly byPath = new Map<string, KeyEntry>();

  /** The key with this path (case-insensitive), added at the end when missing; null beyond {@link MAX_KEYS}. */
  get(path: string): KeyEntry | null {
    const lower = path.toLowerCase();
    const found = this.byPath.get(lower);
    if (found !== undefined) return found;
    if (this.byPath.size >= MAX_KEYS) return null;
    const key: RegistryKey = { path, values: {} };
    const entry = { key, values: new ValueMap(key.values) };
    this.byPath.set(lower, entry);
    return entry;
  }

  /** Removes the key at `path` and every key below it. */
  deleteTree(path: string): void {
    const lower = path.toLowerCase();
    const below = lower + '\\';
    for (const p of this.byPath.keys()) if (p === lower || p.startsWith(below)) this.byPath.delete(p);
  }

  /** The keys in input order. */
  keys(): RegistryKey[] {
    return [...this.byPath.values()].map((e) => e.key);
  }
}

/** Lower-case hex of the bytes, no separators. */
export function toHex(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** REG_MULTI_SZ items without the empty strings its terminators leave at the end. */
export function trimMultiString(items: string[]): string[] {
  const out = [...items];
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** A value of a type whose data is already a list of bytes. */
export function valueFromBytes(type: RegValue['type'], bytes: readonly number[], unicode: boolean): RegValue {
  const buf = Buffer.from(bytes);
  // Well-formed: hex(1)/hex(7) bytes may hold a lone surrogate, which JSON in PostgreSQL cannot store.
  const text = (): string =>
    unicode ? wellFormed(buf.subarray(0, buf.length - (buf.length % 2)).toString('utf16le')) : buf.toString('latin1');
  switch (type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type, value: text().split('\0', 1)[0]! };
    case 'REG_MULTI_SZ':
      return { type, value: trimMultiString(text().split('\0')) };
    case 'REG_DWORD':
    case 'REG_DWORD_BIG_ENDIAN':
      if (buf.length !== 4) return { type: 'REG_BINARY', value: toHex([...bytes]) };
      return { type, value: type === 'REG_DWORD' ? buf.readUInt32LE(0) : buf.readUInt32BE(0) };
    case 'REG_QWORD':
      if (buf.length !== 8) return { type: 'REG_BINARY', value: toHex([...bytes]) };
      return { type, value: buf.readBigUInt64LE(0).toString() };
    default:
      return { type, value: toHex([...bytes]) };
  }
}
