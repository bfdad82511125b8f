/** Windows Update policy: registry readers (reg query, .reg), the typed policy and its assessment. */
export * from './types.js';
export { parseRegQuery } from './regquery.js';
export { parseRegFile } from './regfile.js';
export { decodeWindowsText } from './decode.js';
export { toUpdatePolicy, parsePolicy, WINDOWS_UPDATE_POLICY_KEY, AU_POLICY_KEY } from './policy.js';
export { assessPolicy, detectionInterval } from './assess.js';
export { normalizeWsusUrl, checkWsusUrl, wsusCompareKey } from './url.js';
export type { WsusUrlCheck } from './url.js';
export {
  MDM_CONFLICT_KEY,
  MDM_UPDATE_KEY,
  MDM_UPDATE_VALUES,
  MdmUpdatePolicySchema,
  parseMdmPolicy,
  toMdmUpdatePolicy,
} from './mdm.js';
export type { MdmUpdatePolicy, MdmUpdateValues } from './mdm.js';
export { assessUpdateSources, osBuildOf, type UpdateSourcesInput } from './sources.js';
export * from './sources-types.js';
