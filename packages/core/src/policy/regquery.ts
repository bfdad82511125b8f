/**
 * Reader for `reg query <key> /s` output: key lines with the hive spelled out, value lines
 * `    Name    REG_TYPE    data`, blank lines between blocks, CRLF or LF.
 */
import { makeError } from '../errors/errors.js';
import { registryLines } from './decode.js';
import { MAX_KEYS, normalizeKeyPath, startsWithHive, trimMultiString, ValueMap } from './registry.js';
import type { RegBinaryType, RegistryExport, RegistryKey, RegValue } from './types.js';

const KNOWN_TYPES = new Set([
  'REG_SZ',
  'REG_EXPAND_SZ',
  'REG_MULTI_SZ',
  'REG_DWORD',
  'REG_DWORD_BIG_ENDIAN',
  'REG_QWORD',
  'REG_BINARY',
  'REG_NONE',
  'REG_LINK',
  'REG_RESOURCE_LIST',
  'REG_FULL_RESOURCE_DESCRIPTOR',
  'REG_RESOURCE_REQUIREMENTS_LIST',
]);

// reg.exe separates columns with four spaces; pasted copies may have tabs or other runs of two or more spaces. A gap
// is matched only from its first blank (the lookbehinds): tried from every blank of a long run, ` {2,}` made a line
// of a megabyte of spaces quadratic.
const TYPE_COLUMN = /((?<!\t)\t+|(?<! ) {2,})(REG_[A-Z_]+)(?=\t| {2,}|$)/g;
const NOT_FOUND = 'unable to find the specified registry key or value';

/**
 * Parses `reg query … /s` output. The "unable to find the specified registry key" error means the key is absent
 * and gives an export with no keys; any other error-only output or text without a key throws WUW_INVALID_POLICY.
 */
export function parseRegQuery(text: Buffer | string): RegistryExport {
  const lines = registryLines(text);
  const keys: RegistryKey[] = [];
  let current: ValueMap<RegValue> | null = null;
  let notFound = false;
  let errorText: string | null = null;
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (/^error:/i.test(trimmed)) {
      if (trimmed.toLowerCase().includes(NOT_FOUND)) notFound = true;
      else errorText ??= trimmed;
    } else if (!/^\s/.test(line) && startsWithHive(trimmed)) {
      if (keys.length >= MAX_KEYS) {
        throw makeError('INVALID_POLICY', [`more than ${MAX_KEYS} keys; query only the policy keys`]);
      }
      const key: RegistryKey = { path: normalizeKeyPath(trimmed), values: {} };
      keys.push(key);
      current = new ValueMap(key.values);
    } else if (/^\s/.test(line) && current !== null) {
      const parsed = parseValueLine(line, index + 1);
      if (parsed) current.put(parsed.name, parsed.value);
    }
    // Anything else ("End of search: …" with /f, stray text in a pasted copy) carries no policy.
  }
  if (keys.length > 0) return { keys };
  if (notFound) return { keys: [] };
  if (errorText !== null) throw makeError('INVALID_POLICY', [`reg query reported "${errorText}"`]);
  throw makeError('INVALID_POLICY', ['the text holds no registry key line (HKEY_LOCAL_MACHINE\\…)']);
}

function parseValueLine(line: string, lineNo: number): { name: string; value: RegValue } | null {
  const body = line.startsWith('    ') ? line.slice(4) : line.replace(/^\s+/, '');
  TYPE_COLUMN.lastIndex = 0;
  let match: RegExpExecArray | null;
  // The first known type token preceded by a column gap ends the name (names may contain single spaces).
  while ((match = TYPE_COLUMN.exec(body)) !== null) {
    if (KNOWN_TYPES.has(match[2]!)) break;
  }
  if (match === null) return null;
  const rawName = body.slice(0, match.index);
  const type = match[2]!;
  const after = body.slice(match.index + match[0].length);
  const data = after.startsWith('    ') ? after.slice(4) : after.replace(/^\s+/, '');
  // reg.exe shows the unnamed default value as "(Default)", and an unset one as "(value not set)".
  const name = rawName === '(Default)' ? '' : rawName;
  if (name === '' && data === '(value not set)') return null;
  return { name, value: parseData(type, data, name, lineNo) };
}

function parseData(type: string, data: string, name: string, lineNo: number): RegValue {
  const bad = (): Error =>
    makeError('INVALID_POLICY', [
      `line ${lineNo}: ${type} data "${data.slice(0, 80)}" of value "${name}" is not valid`,
    ]);
  switch (type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type, value: data };
    case 'REG_MULTI_SZ':
      // reg.exe prints the NUL separators as the two characters "\0".
      return { type, value: data === '' ? [] : trimMultiString(data.split('\\0')) };
    case 'REG_DWORD':
    case 'REG_DWORD_BIG_ENDIAN': {
      const m = /^0x([0-9a-f]{1,8})$/i.exec(data.trim());
      if (!m) throw bad();
      return { type, value: parseInt(m[1]!, 16) };
    }
    case 'REG_QWORD': {
      const m = /^0x([0-9a-f]{1,16})$/i.exec(data.trim());
      if (!m) throw bad();
      return { type, value: BigInt('0x' + m[1]!).toString() };
    }
    default: {
      const hex = data.trim();
      if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw bad();
      return { type: type as RegBinaryType, value: hex.toLowerCase() };
    }
  }
}
