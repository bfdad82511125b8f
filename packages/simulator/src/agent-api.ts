/** The one seam between the simulator and the agent: everything it runs comes from the agent's public API. */
export { Agent, AGENT_VERSION, loadAgentConfig, ensureEnrolled, createSources, RecordingRunner } from '@wuwatch/agent';
export type { AgentConfig } from '@wuwatch/agent';
