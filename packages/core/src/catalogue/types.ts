/** Types of the Windows Update error-code catalogue. */
import type { Hresult } from '../hresult/normalize.js';

/**
 * What kind of trouble a code points at, from the operator's side:
 * `unreachable` the update server could not be reached, `server_error` it answered with an error,
 * `client_misconfigured` this machine's update settings are wrong, `local_agent` the local agent or
 * servicing stack failed, `other` not a connectivity problem (or not a failure), `unknown` not catalogued.
 */
export const HRESULT_CLASSES = [
  'unreachable',
  'server_error',
  'client_misconfigured',
  'local_agent',
  'other',
  'unknown',
] as const;

/** One of {@link HRESULT_CLASSES}. */
export type HresultClass = (typeof HRESULT_CLASSES)[number];

/** Everything wuwatch knows about one code, ready to show to a person. */
export interface HresultDescription {
  /** Normalised code, `0x` + 8 upper-case hex digits. */
  code: Hresult;
  /** Symbolic name (`WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL`), a family name (`WU_E_DS_*`) or `UNKNOWN`. */
  name: string;
  description: string;
  class: HresultClass;
  /** HTTP status the code stands for, when it stands for one. */
  httpStatus?: number;
  /** What the operator should do about it. */
  remedy: string;
}

/** One specific catalogue entry as written in the entries tables (no remedy: that is derived). */
export interface CatalogueEntry {
  readonly code: Hresult;
  readonly name: string;
  readonly class: Exclude<HresultClass, 'unknown'>;
  readonly httpStatus?: number;
  readonly description: string;
}
