/**
 * Reader for `.reg` files (regedit File > Export, `reg export`, hand-written): header, `[KEY]` / `[-KEY]` sections,
 * `"Name"=` / `@=` values as strings, `dword:`, `hex(N):` with `\` continuations, `=-` deletions and `;` comments.
 */
import { makeError } from '../errors/errors.js';
import { decodeWindowsText } from './decode.js';
import { getOrAddKey, isAtOrBelow, normalizeKeyPath, putValue, removeValue, valueFromBytes } from './registry.js';
import type { RegistryExport, RegistryKey, RegValue } from './types.js';

const HEADER_V5 = 'windows registry editor version 5.00';
const HEADER_V4 = 'regedit4';
const REEXPORT =
  'export the key with "reg export HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate wu.reg /y" or regedit File > Export';

/** `hex(N):` type numbers as regedit writes them. */
const HEX_TYPES: Record<number, RegValue['type']> = {
  0: 'REG_NONE',
  1: 'REG_SZ',
  2: 'REG_EXPAND_SZ',
  3: 'REG_BINARY',
  4: 'REG_DWORD',
  5: 'REG_DWORD_BIG_ENDIAN',
  6: 'REG_LINK',
  7: 'REG_MULTI_SZ',
  8: 'REG_RESOURCE_LIST',
  9: 'REG_FULL_RESOURCE_DESCRIPTOR',
  10: 'REG_RESOURCE_REQUIREMENTS_LIST',
  11: 'REG_QWORD',
};

interface LogicalLine {
  no: number;
  text: string;
}

/** True when the first non-blank line is a `.reg` header. */
export function hasRegFileHeader(text: string): boolean {
  const first = text
    .split(/\r?\n/)
    .find((l) => l.trim() !== '')
    ?.trim()
    .toLowerCase();
  return first === HEADER_V5 || first === HEADER_V4;
}

/**
 * Parses a `.reg` file (UTF-16LE with BOM, UTF-8 with or without BOM, or ANSI). Deletions apply in file order:
 * `"Name"=-` removes the value, `[-KEY]` removes the key and its subkeys. Throws WUW_INVALID_POLICY when the header
 * is missing or a line cannot be read.
 */
export function parseRegFile(bytes: Buffer | string): RegistryExport {
  const lines = joinContinuations(decodeWindowsText(bytes).split(/\r?\n/));
  const headerIndex = lines.findIndex((l) => l.text.trim() !== '');
  const header = headerIndex === -1 ? '' : lines[headerIndex]!.text.trim();
  const version = header.toLowerCase();
  if (version !== HEADER_V5 && version !== HEADER_V4) {
    const shown = header === '' ? 'the file is empty' : `the first line is "${header.slice(0, 60)}"`;
    throw makeError('INVALID_POLICY', [
      `not a .reg file (${shown}; expected "Windows Registry Editor Version 5.00" or "REGEDIT4"): ${REEXPORT}`,
    ]);
  }
  // Version 5 files store hex(1)/hex(2)/hex(7) strings as UTF-16LE bytes, REGEDIT4 files as ANSI bytes.
  const unicode = version === HEADER_V5;
  const keys: RegistryKey[] = [];
  let current: RegistryKey | null = null;
  let inDeletedKey = false;
  for (const line of lines.slice(headerIndex + 1)) {
    const text = line.text.trim();
    if (text === '' || text.startsWith(';')) continue;
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) throw lineError(line, 'a key line must end with "]"');
      const inner = text.slice(1, -1);
      if (inner.startsWith('-')) {
        const path = normalizeKeyPath(inner.slice(1));
        for (let i = keys.length - 1; i >= 0; i--) if (isAtOrBelow(keys[i]!.path, path)) keys.splice(i, 1);
        current = null;
        inDeletedKey = true;
      } else {
        current = getOrAddKey(keys, normalizeKeyPath(inner));
        inDeletedKey = false;
      }
      continue;
    }
    if (text.startsWith('"') || text.startsWith('@')) {
      if (inDeletedKey) continue; // regedit ignores values listed under a deleted key
      if (current === null) throw lineError(line, 'a value appears before any [KEY] line');
      applyValueLine(current, line, unicode);
      continue;
    }
    throw lineError(line, 'not a key, value or comment line');
  }
  return { keys };
}

function applyValueLine(key: RegistryKey, line: LogicalLine, unicode: boolean): void {
  const text = line.text.trim();
  let name: string;
  let rest: string;
  if (text.startsWith('@')) {
    name = '';
    rest = text.slice(1);
  } else {
    const quoted = readQuoted(text, 0);
    if (quoted === null) throw lineError(line, 'the value name has no closing quote');
    name = quoted.value;
    rest = text.slice(quoted.end);
  }
  rest = rest.trimStart();
  if (!rest.startsWith('=')) throw lineError(line, 'expected "=" after the value name');
  const data = rest.slice(1).trim();
  if (data === '-') {
    removeValue(key.values, name);
    return;
  }
  putValue(key.values, name, parseData(data, line, unicode));
}

function parseData(data: string, line: LogicalLine, unicode: boolean): RegValue {
  if (data.startsWith('"')) {
    const quoted = readQuoted(data, 0);
    if (quoted === null || data.slice(quoted.end).trim() !== '') throw lineError(line, 'bad string data');
    return { type: 'REG_SZ', value: quoted.value };
  }
  const lower = data.toLowerCase();
  if (lower.startsWith('dword:')) {
    const m = /^[0-9a-f]{1,8}$/i.exec(data.slice(6).trim());
    if (!m) throw lineError(line, 'dword: needs 1 to 8 hex digits');
    return { type: 'REG_DWORD', value: parseInt(m[0], 16) };
  }
  const hex = /^hex(?:\(([0-9a-f]{1,8})\))?:/i.exec(data);
  if (hex) {
    const typeNumber = hex[1] === undefined ? 3 : parseInt(hex[1], 16);
    // Unknown hex(N) types keep their bytes as binary.
    const type = HEX_TYPES[typeNumber] ?? 'REG_BINARY';
    return valueFromBytes(type, parseHexBytes(data.slice(hex[0].length), line), unicode);
  }
  throw lineError(line, 'unknown data format (expected "string", dword:, hex: or -)');
}

/** Reads a `"…"` token starting at `start` with `\\` and `\"` escapes; returns the text and the index after it. */
function readQuoted(text: string, start: number): { value: string; end: number } | null {
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      out += text[++i]!;
    } else if (ch === '"') {
      return { value: out, end: i + 1 };
    } else {
      out += ch;
    }
  }
  return null;
}

function parseHexBytes(list: string, line: LogicalLine): number[] {
  const parts = list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return parts.map((p) => {
    if (!/^[0-9a-f]{1,2}$/i.test(p)) throw lineError(line, `"${p.slice(0, 20)}" is not a hex byte`);
    return parseInt(p, 16);
  });
}

/** Joins lines ending in `\` (regedit wraps long hex data) with the next line, keeping the first line's number. */
function joinContinuations(raw: string[]): LogicalLine[] {
  const out: LogicalLine[] = [];
  let pending: LogicalLine | null = null;
  for (const [i, text] of raw.entries()) {
    const joined: LogicalLine =
      pending === null ? { no: i + 1, text } : { no: pending.no, text: pending.text + text.trimStart() };
    const trimmedEnd = joined.text.trimEnd();
    if (trimmedEnd.endsWith('\\') && isHexData(trimmedEnd)) {
      pending = { no: joined.no, text: trimmedEnd.slice(0, -1) };
    } else {
      out.push(joined);
      pending = null;
    }
  }
  if (pending !== null) out.push(pending);
  return out;
}

// Only hex data wraps; a key path or a string ending in a backslash is not a continuation.
function isHexData(text: string): boolean {
  const t = text.trimStart();
  let rest: string;
  if (t.startsWith('@')) {
    rest = t.slice(1);
  } else if (t.startsWith('"')) {
    const quoted = readQuoted(t, 0);
    if (quoted === null) return false;
    rest = t.slice(quoted.end);
  } else {
    return false;
  }
  return /^\s*=\s*hex(?:\([0-9a-f]+\))?:/i.test(rest);
}

function lineError(line: LogicalLine, reason: string): Error {
  return makeError('INVALID_POLICY', [
    `line ${line.no} of the .reg file: ${reason} ("${line.text.trim().slice(0, 80)}")`,
  ]);
}
