/** Looking codes up: normalise the input, find the entry (specific row, BITS HTTP rule, family), add the remedy. */
import { isWuwatchError, makeError } from '../errors/errors.js';
import { formatHresult, isSuccessHresult, normalizeHresult } from '../hresult/normalize.js';
import type { Hresult } from '../hresult/normalize.js';
import { AGENT_ENTRIES, SUCCESS_ENTRIES } from './entries-agent.js';
import { COMPONENT_ENTRIES } from './entries-components.js';
import { WIN32_ENTRIES, WINHTTP_ENTRIES } from './entries-network.js';
import { PROTOCOL_ENTRIES } from './entries-pt.js';
import { bitsHttpEntry, familyEntry } from './families.js';
import type { DerivedEntry } from './families.js';
import { remedyFor } from './remedies.js';
import type { CatalogueEntry, HresultDescription } from './types.js';

/** Every specific (row-defined) entry of the catalogue. */
export const CATALOGUE_ENTRIES: readonly CatalogueEntry[] = Object.freeze([
  ...SUCCESS_ENTRIES,
  ...AGENT_ENTRIES,
  ...PROTOCOL_ENTRIES,
  ...COMPONENT_ENTRIES,
  ...WINHTTP_ENTRIES,
  ...WIN32_ENTRIES,
]);

function buildIndex(entries: readonly CatalogueEntry[]): ReadonlyMap<Hresult, CatalogueEntry> {
  const index = new Map<Hresult, CatalogueEntry>();
  for (const entry of entries) {
    // Two rows for one code would make the answer depend on table order: refuse to load instead.
    if (index.has(entry.code)) throw makeError('INTERNAL', [`duplicate catalogue code ${entry.code}`]);
    index.set(entry.code, entry);
  }
  return index;
}

const INDEX = buildIndex(CATALOGUE_ENTRIES);

/** Normalises a code given as text (any spelling Windows uses) or as a signed/unsigned 32-bit number. */
export function toHresult(input: string | number): Hresult {
  if (typeof input === 'string') return normalizeHresult(input);
  if (typeof input === 'number' && Number.isInteger(input) && input >= -0x80000000 && input <= 0xffffffff) {
    return formatHresult(input);
  }
  // Callers from plain JavaScript or JSON can pass anything; answer with the catalogued error, never a TypeError.
  throw makeError('INVALID_HRESULT', [typeof input === 'number' ? String(input) : `a value of type ${typeof input}`]);
}

function withRemedy(entry: CatalogueEntry | DerivedEntry): HresultDescription {
  const d: HresultDescription = {
    code: entry.code,
    name: entry.name,
    description: entry.description,
    class: entry.class,
    remedy: remedyFor(entry),
  };
  if (entry.httpStatus !== undefined) d.httpStatus = entry.httpStatus;
  return d;
}

/** Describes a known code (specific entry, BITS HTTP status or known family); undefined when wuwatch does not know it. Throws WUW_INVALID_HRESULT for malformed input. */
export function lookupHresult(input: string | number): HresultDescription | undefined {
  const code = toHresult(input);
  const entry = INDEX.get(code) ?? bitsHttpEntry(code) ?? familyEntry(code);
  return entry === undefined ? undefined : withRemedy(entry);
}

/** Describes any well-formed code; unknown codes get class `unknown` and a remedy saying how to look them up. Throws WUW_INVALID_HRESULT for malformed input. */
export function describeHresult(input: string | number): HresultDescription {
  const code = toHresult(input);
  return (
    lookupHresult(code) ?? {
      code,
      name: 'UNKNOWN',
      description: isSuccessHresult(code)
        ? `${code} is not in wuwatch's catalogue. Its severity bit is clear, so it is a success code, not a failure.`
        : `${code} is not in wuwatch's catalogue.`,
      class: 'unknown',
      remedy: remedyFor({ code, class: 'unknown' }),
    }
  );
}

/**
 * Describes a code that may be absent or malformed (a stored or received field): undefined instead of the
 * WUW_INVALID_HRESULT error, so every reader that explains a code it did not validate does it the same way.
 */
export function tryDescribeHresult(input: string | number | null | undefined): HresultDescription | undefined {
  if (input === null || input === undefined || input === '') return undefined;
  try {
    return describeHresult(input);
  } catch (err) {
    // Only a malformed code means "nothing to explain"; anything else is a real fault and must surface.
    if (isWuwatchError(err, 'INVALID_HRESULT')) return undefined;
    throw err;
  }
}

/** True when the code reports a failure (severity bit set); S_OK and the WU_S_* codes are not failures. */
export function isFailure(input: string | number): boolean {
  return !isSuccessHresult(toHresult(input));
}
