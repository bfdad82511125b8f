/** @wuwatch/agent public API: the agent runtime and what is needed to run it outside the CLI (simulator, tests). */
export { Agent, AGENT_VERSION, type AgentDeps } from './runtime/agent.js';
export { loadAgentConfig } from './config/load.js';
export { AgentConfig } from './config/schema.js';
export { ensureEnrolled } from './enroll/enroll.js';
export { readCredentials, writeCredentials, type Credentials } from './enroll/credentials.js';
export { createSources, type Sources } from './sources/index.js';
export { RecordingRunner, processRunner } from './platform/index.js';
export { probeWsus } from './probe/index.js';
export { main } from './cli/main.js';
