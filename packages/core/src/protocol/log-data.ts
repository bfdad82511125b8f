/** The wire data of a log finding's `detection` event, shaped once for the agent that sends it and for the tests. */
import type { DetectionFinding } from '../wulog/types.js';
import type { DetectionData } from './schemas.js';

/**
 * The `detection` event data of a log cycle. `attemptKey` is its START time as the sender keys it (the agent: in UTC,
 * so that the event channel's record of the same attempt has the same key); null when the START is not in the text.
 */
export function logDetectionData(f: DetectionFinding, attemptKey: string | null): DetectionData {
  return {
    source: 'log',
    attemptKey,
    outcome: f.outcome,
    hresult: f.hresult,
    caller: f.caller,
    managed: f.managed,
    serverUrl: f.serverUrl,
    updatesFound: f.updatesFound,
    line: f.line,
    recordId: null,
    serviceId: f.serviceId ?? null,
    serviceName: f.serviceName ?? null,
  };
}
