/** The agent's own `/metrics` (issue 17): a hand-written Prometheus exposition served on loopback when configured. */
export { escapeLabel, processSnapshot, renderMetrics } from './exposition.js';
export type { AgentMetricsSnapshot, ProcessMetricsSnapshot } from './exposition.js';
export { isLoopback, parseListen, startMetricsServer } from './server.js';
export type { ListenAddress, MetricsServer, MetricsServerOptions } from './server.js';
