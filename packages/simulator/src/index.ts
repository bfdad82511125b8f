/** @wuwatch/simulator public API: WSUS stand-ins, scenarios, the simulated fleet, and terminal reporting. */
export * from './wsus/standins.js';
export {
  Scenario,
  GroupSpec,
  WsusServerSpec,
  PolicySpec,
  DetectionSpec,
  ROLES,
  type ScenarioInput,
} from './scenario/schema.js';
export { DEFAULT_SCENARIO } from './scenario/default.js';
export { defaultScenario, loadScenario, parseScenario, parseScenarioText } from './scenario/parse.js';
export {
  FOLLOW_HRESULT,
  MISCONFIGURED_HRESULT,
  TRANSPORT_HRESULT,
  cycleHresult,
  expectedStatus,
} from './scenario/outcome.js';
export {
  allocateCounts,
  hostnameFor,
  machinePlan,
  planFleet,
  type FleetPlan,
  type MachinePlan,
} from './scenario/plan.js';
export {
  DEFAULT_TIME_SCALE,
  checkTimeScale,
  compressedCollectorConfig,
  nextDetectionDelayMs,
  realMsFor,
  type CompressedCollectorOptions,
} from './time/scale.js';
export { autoWorkers, startFleet, type Fleet, type FleetEvent, type FleetOptions } from './fleet/fleet.js';
export {
  createEnrollSecret,
  fetchMachines,
  fetchSummary,
  type FleetSummary,
  type MachineRow,
} from './collector-api.js';
export {
  formatAlert,
  formatCountsLine,
  formatStatusTable,
  missingStatuses,
  type StatusTableInput,
} from './report/format.js';
export { startWebhookSink, type WebhookSink } from './report/webhook-sink.js';
