/** The Windows service through nssm: settings shared with the MSI, pure install/upgrade/uninstall plans, executor, dry run. */
export type { Plan, PlanStep, ServiceAccount } from './types.js';
export {
  APP_EXIT_DEFAULT,
  FAILURE_RESET_SECONDS,
  FAILURE_RESTART_DELAYS_MS,
  SERVICE_DESCRIPTION,
  SERVICE_ID,
  SERVICE_NAME,
  failureActionsHex,
  nssmSettings,
} from './nssm.js';
export type { NssmPaths, NssmSetting } from './nssm.js';
export {
  AGENT_EXE,
  NSSM_EXE,
  parseServiceStatus,
  planInstall,
  planStart,
  planStatus,
  planStop,
  planUninstall,
  serviceLayout,
} from './plan.js';
export type { InstallOptions, LayoutOptions, ServiceLayout, ServiceState } from './plan.js';
export { agentConfigJson, planConfigure } from './configure.js';
export type { AgentSettings, ConfigureOptions } from './configure.js';
export { executePlan, nodePlanFs } from './execute.js';
export type { ExecuteOptions, PlanFs, StepOutcome } from './execute.js';
export { formatPlan } from './format.js';
