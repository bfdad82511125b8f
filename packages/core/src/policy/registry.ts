/** Helpers shared by the registry readers: key paths and value maps with registry (case-insensitive) semantics. */
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
 * Sets a value by name, replacing one whose name differs only in case (value names are case-insensitive).
 * defineProperty keeps a value named `__proto__` an ordinary own property.
 */
export function putValue<T>(values: Record<string, T>, name: string, value: T): void {
  removeValue(values, name);
  Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Removes a value by case-insensitive name; true if one was there. */
export function removeValue<T>(values: Record<string, T>, name: string): boolean {
  const lower = name.toLowerCase();
  let removed = false;
  for (const existing of Object.keys(values)) {
    if (existing.toLowerCase() === lower) {
      delete values[existing];
      removed = true;
    }
  }
  return removed;
}

/** Returns the key with this path (case-insensitive), creating it at the end of `keys` if missing. */
export function getOrAddKey(keys: RegistryKey[], path: string): RegistryKey {
  const found = keys.find((k) => samePath(k.path, path));
  if (found) return found;
  const key: RegistryKey = { path, values: {} };
  keys.push(key);
  return key;
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
  const text = (): string =>
    unicode ? buf.subarray(0, buf.length - (buf.length % 2)).toString('utf16le') : buf.toString('latin1');
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
