/** WSUS reachability probe: stepwise DNS/TCP/TLS/HTTP checks with WinHTTP-like proxying and retry backoff. */
export { buildGet, DEFAULT_PROBE_TIMEOUTS, httpStatusFailure, parseWsusUrl, probeWsus } from './probe.js';
export type { ProbeOptions, ProbeTimeouts, WsusTarget } from './probe.js';
export { chooseRoute, isBypassed, parseBypassList, parseProxy } from './proxy.js';
export type { ProxyConfig, ProxyEndpoint, Route, RouteTarget } from './proxy.js';
export { ProbeBackoff } from './backoff.js';
export type { ProbeBackoffOptions, RandomFn } from './backoff.js';
export { PROBE_HRESULT, systemLookup, tlsFailure } from './steps.js';
export type { LookupFn, StepFailure, StepResult } from './steps.js';
export { ProbeReporter, probeKey } from './dedup.js';
