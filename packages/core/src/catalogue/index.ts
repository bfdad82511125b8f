/** The Windows Update error-code catalogue: what a code means, how to class it, what to do about it. */
export { HRESULT_CLASSES } from './types.js';
export type { CatalogueEntry, HresultClass, HresultDescription } from './types.js';
export {
  CATALOGUE_ENTRIES,
  describeHresult,
  isFailure,
  lookupHresult,
  toHresult,
  tryDescribeHresult,
} from './describe.js';
export { classifyHttpStatus, httpReason } from './http.js';
export { remedyForClass } from './remedies.js';
export { formatDescription } from './format.js';
export { CANCELLED_HRESULTS, outcomeOfCode, type EndedOutcome } from './outcome.js';
export {
  UPDATE_SERVICES,
  normalizeServiceId,
  updateServiceById,
  updateServiceName,
  type UpdateService,
  type UpdateServiceKey,
} from './services.js';
