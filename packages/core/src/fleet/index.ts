/** Fleet-level rules shared by status, alerts, the WSUS servers view, the dashboard and the CLI. */
export * from './probe.js';
export * from './detection.js';
export * from './wsus.js';
