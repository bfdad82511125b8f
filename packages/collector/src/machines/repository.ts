/**
 * The machines repository: the only SQL in the collector that reads or writes `machines` rows and the projections
 * kept beside them (`wsus_servers`, a machine's events as its timeline). Everything else imports from here, so a
 * column, an index or a locking rule changes in this module. One file per responsibility under repository/: the write
 * side (write.ts), the WSUS server projection (wsus.ts), the API's reads (read.ts), the alert evaluator's reads
 * (alerts.ts) and decommissioning (forget.ts); installs-repository.ts beside it reads the install listing.
 */
export {
  lockMachine,
  markDisconnected,
  saveMachine,
  sweepCandidates,
  touchConnected,
  upsertHello,
  type HelloRow,
} from './repository/write.js';
export { saveWsusServer, wsusPointers, type PointerRow } from './repository/wsus.js';
export {
  countByStatus,
  listMachineRows,
  machineById,
  machineHistory,
  machinesByHostname,
  type MachineListFilter,
} from './repository/read.js';
export {
  alertFacts,
  alertFactsCandidates,
  machinesDataWatermark,
  type AlertCandidateWindows,
  type AlertFactsRow,
} from './repository/alerts.js';
export { forgetMachine, type ForgottenMachine } from './repository/forget.js';
