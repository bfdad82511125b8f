/** Windows event channels: wevtutil XML reader and Windows Update client event findings. */
export type * from './types.js';
export { parseWevtutilXml } from './wevtutil.js';
export { eventToFinding, eventsToFindings, WU_CLIENT_PROVIDER } from './findings.js';
