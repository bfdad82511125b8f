/** Windows service install through WinSW: the service XML, pure install/upgrade/uninstall plans, executor, dry run. */
export type { Plan, PlanStep, ServiceAccount } from './types.js';
export { SERVICE_DESCRIPTION, SERVICE_ID, SERVICE_NAME, buildServiceXml, escapeXml, serviceArguments } from './xml.js';
export type { ServiceXmlOptions } from './xml.js';
export {
  SERVICE_EXE_BASENAME,
  agentConfigJson,
  parseServiceStatus,
  planInstall,
  planStart,
  planStatus,
  planStop,
  planUninstall,
  serviceLayout,
} from './plan.js';
export type { InstallOptions, LayoutOptions, ServiceLayout, ServiceState } from './plan.js';
export { executePlan, nodePlanFs } from './execute.js';
export type { ExecuteOptions, PlanFs, StepOutcome } from './execute.js';
export { formatPlan } from './format.js';
