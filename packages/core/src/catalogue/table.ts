/**
 * Parser for the entries tables. The tables are plain text, one code per line, so that each entry stays
 * one readable line (object literals would be reflowed to six lines each by the formatter).
 */
import { makeError } from '../errors/errors.js';
import { HRESULT_CLASSES } from './types.js';
import type { CatalogueEntry } from './types.js';

const CODE = /^0x[0-9A-F]{8}$/;
const NAME = /^[A-Z0-9_]+$/;

function isEntryClass(value: string): value is CatalogueEntry['class'] {
  return value !== 'unknown' && (HRESULT_CLASSES as readonly string[]).includes(value);
}

/** Parses `code | NAME | class | httpStatus or - | description` lines; blank lines are skipped. */
export function parseTable(table: string): CatalogueEntry[] {
  const entries: CatalogueEntry[] = [];
  for (const raw of table.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [code = '', name = '', cls = '', http = '', ...rest] = line.split(' | ');
    const description = rest.join(' | ').trim();
    // A malformed row is a bug in wuwatch itself, so fail loudly at load time rather than mis-describe codes.
    if (!CODE.test(code) || !NAME.test(name) || !isEntryClass(cls) || description === '') {
      throw makeError('INTERNAL', [`bad catalogue row: ${line}`]);
    }
    if (http === '-') {
      entries.push({ code, name, class: cls, description });
      continue;
    }
    const httpStatus = Number(http);
    if (!Number.isInteger(httpStatus) || httpStatus < 100 || httpStatus > 599) {
      throw makeError('INTERNAL', [`bad HTTP status in catalogue row: ${line}`]);
    }
    entries.push({ code, name, class: cls, httpStatus, description });
  }
  return entries;
}
