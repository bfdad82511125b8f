/**
 * Codes described by rule rather than by row: the BITS HTTP family (0x80190000 + status) and whole
 * facilities wuwatch knows only at family level (data store, update handler, servicing).
 */
import type { Hresult } from '../hresult/normalize.js';
import { classifyHttpStatus, httpReason } from './http.js';
import type { HresultClass } from './types.js';

/** A rule-derived description before its remedy is attached. */
export interface DerivedEntry {
  readonly code: Hresult;
  readonly name: string;
  readonly class: HresultClass;
  readonly httpStatus?: number;
  readonly description: string;
}

const BITS_HTTP_BASE = 0x80190000;

/** Describes 0x80190064–0x80190257 as BG_E_HTTP_ERROR_<status>; undefined for any other code. */
export function bitsHttpEntry(code: Hresult): DerivedEntry | undefined {
  const status = parseInt(code.slice(2), 16) - BITS_HTTP_BASE;
  if (status < 100 || status > 599) return undefined;
  return {
    code,
    name: `BG_E_HTTP_ERROR_${status}`,
    class: classifyHttpStatus(status),
    httpStatus: status,
    description:
      `BITS got HTTP status ${status} (${httpReason(status)}) from the server. Windows Update downloads ` +
      'through BITS: the self-update check (/selfupdate/wuident.cab) and update content.',
  };
}

interface Family {
  readonly prefix: string;
  readonly name: string;
  readonly class: HresultClass;
  readonly description: string;
}

// Matched on the code's leading hex digits, after the specific entries, so a known code always wins.
const FAMILIES: readonly Family[] = [
  {
    prefix: '0x80248',
    name: 'WU_E_DS_*',
    class: 'local_agent',
    description:
      'A Windows Update data store error: the agent could not use its local database ' +
      '(C:\\Windows\\SoftwareDistribution\\DataStore).',
  },
  {
    prefix: '0x80242',
    name: 'WU_E_UH_*',
    class: 'local_agent',
    description: 'A Windows Update update handler error: the installer for this kind of update failed on this machine.',
  },
  {
    prefix: '0x800F',
    name: 'CBS_E_*',
    class: 'local_agent',
    description:
      'A component-based servicing (CBS) error: the Windows servicing stack failed to install or repair a package.',
  },
];

/** Describes a code at family level when only its facility is known; undefined otherwise. */
export function familyEntry(code: Hresult): DerivedEntry | undefined {
  const family = FAMILIES.find((f) => code.startsWith(f.prefix));
  if (family === undefined) return undefined;
  return { code, name: family.name, class: family.class, description: family.description };
}
