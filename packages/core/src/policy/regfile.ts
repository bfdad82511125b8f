/**
 * Reader for `.reg` files (regedit File > Export, `reg export`, hand-written): header, `[KEY]` / `[-KEY]` sections,
 * `"Name"=` / `@=` values as strings, `dword:`, `hex(N):` with `\` continuations, `=-` deletions and `;` comments.
 */
import { makeError } from '../errors/errors.js';
import { registryLines } from './decode.js';
import { KeySet, MAX_KEYS, normalizeKeyPath, valueFromBytes, type KeyEntry } from './registry.js';
import type { RegistryExport, RegValue } from './types.js';

const HEADER_V5 = 'windows registry editor version 5.00';
const HEADER_V4 = 'regedit4';
/**
 * Most `[-KEY]` deletions a file may hold: each one scans the keys read so far. Exports never write them (only
 * hand-written files do, a few at most), and the cap keeps a hostile file's work bounded (MAX_KEYS × this).
 */
const MAX_DELETIONS = 1000;
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
  return isRegFileText(registryLines(text));
}

/**
 * True when `lines` (from registryLines) are a `.reg` file: the first non-blank line is its header or a `[KEY]` line.
 * Anything else is read as `reg query` output.
 */
export function isRegFileText(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  const lower = first.toLowerCase();
  return lower === HEADER_V5 || lower === HEADER_V4 || first.startsWith('[');
}

/**
 * Parses a `.reg` file (UTF-16LE with BOM, UTF-8 with or without BOM, or ANSI). Deletions apply in file order:
 * `"Name"=-` removes the value, `[-KEY]` removes the key and its subkeys. Throws WUW_INVALID_POLICY when the header
 * is missing or a line cannot be read.
 */
export function parseRegFile(bytes: Buffer | string): RegistryExport {
  const lines = joinContinuations(registryLines(bytes));
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
  const keys = new KeySet();
  let current: KeyEntry | null = null;
  let inDeletedKey = false;
  let deletions = 0;
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const text = line.text.trim();
    if (text === '' || text.startsWith(';')) continue;
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) throw lineError(line, 'a key line must end with "]"');
      const inner = text.slice(1, -1);
      if (inner.startsWith('-')) {
        if (++deletions > MAX_DELETIONS) throw lineError(line, `more than ${MAX_DELETIONS} [-KEY] deletions`);
        keys.deleteTree(normalizeKeyPath(inner.slice(1)));
        current = null;
        inDeletedKey = true;
      } else {
        current = keys.get(normalizeKeyPath(inner));
        if (current === null) throw lineError(line, `more than ${MAX_KEYS} keys; export only the policy keys`);
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
  return { keys: keys.keys() };
}

function applyValueLine(key: KeyEntry, line: LogicalLine, unicode: boolean): void {
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
    key.values.remove(name);
    return;
  }
  key.values.put(name, parseData(data, line, unicode));
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

/**
 * Joins lines ending in `\` (regedit wraps long hex data) with the next line, keeping the first line's number. Only a
 * logical line that starts as hex data continues; its pieces are joined once at its end, so a value wrapped over
 * 100,000 lines costs linear time (re-reading the growing line at every piece was quadratic).
 */
function joinContinuations(raw: string[]): LogicalLine[] {
  const out: LogicalLine[] = [];
  let pieces: string[] | null = null;
  let no = 0;
  for (let i = 0; i < raw.length; i++) {
    const text = raw[i]!;
    if (pieces === null) {
      const trimmedEnd = text.trimEnd();
      if (trimmedEnd.endsWith('\\') && isHexData(trimmedEnd)) {
        pieces = [trimmedEnd.slice(0, -1)];
        no = i + 1;
      } else {
        out.push({ no: i + 1, text });
      }
      continue;
    }
    const piece = text.trim();
    if (piece.endsWith('\\')) {
      pieces.push(piece.slice(0, -1));
    } else {
      pieces.push(piece);
      out.push({ no, text: pieces.join('') });
      pieces = null;
    }
  }
  if (pieces !== null) out.push({ no, text: pieces.join('') });
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
