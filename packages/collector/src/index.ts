/** @wuwatch/collector public API. */
export { startCollector, coreAssessor, type Collector, type CollectorExtensions } from './server.js';
export { loadConfig } from './config/load.js';
export { createRootLogger } from './log/logger.js';
