/**
 * The fleet dashboard, served by the collector at `/` on the API's port.
 *
 * Design choice — server-rendered HTML with inline SVG charts, no front-end build and no JavaScript at all:
 * - Long-term upkeep: there is nothing to rebuild and no npm front-end dependency (framework, bundler, charting
 *   library) to keep patched; the pages are TypeScript functions from data to HTML, type-checked and unit-tested
 *   with the rest of the collector, and they read the same queries as the API (api/queries.ts), so they cannot
 *   drift from it.
 * - Offline by construction: the one stylesheet is served by the collector and the charts are computed on the
 *   server, so no CDN or external asset is ever needed, and a strict Content-Security-Policy (no scripts) holds.
 * - Safety: every value from an agent (hostnames, URLs, event data) goes through the escaping `html` template.
 * The price is no client-side interactivity: filters are GET forms, live pages refresh with a meta refresh.
 *
 * Access: a login page exchanges an API token (checked with AuthStore.authenticateApi) for an HttpOnly,
 * SameSite=Strict session cookie holding a random id (sessions live in memory); scripts may send
 * `Authorization: Bearer <token>` instead.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthStore } from '../auth/store.js';
import type { Database } from '../db/index.js';
import { summary } from '../api/queries.js';
import { alertsFor as defaultAlertsFor, type MachineAlert } from './alerts.js';
import { startSampler } from './history.js';
import { registerRoutes } from './routes.js';
import { DEFAULT_SESSION_LIMITS, SessionStore, type SessionLimits } from './session.js';

export { alertsFor, type MachineAlert } from './alerts.js';
export { html, raw, escapeHtml, SafeHtml } from './html.js';

/** Tunables of the dashboard (all have defaults). */
export interface DashboardOptions {
  /** Mark the session cookie Secure (set when the collector serves TLS). */
  secureCookies: boolean;
  /** How often machines per status are sampled for the chart (default 30 s). */
  historyIntervalMs: number;
  /** Samples the chart draws (default 2880: a day at 30 s); the table keeps retention.rollupDays of them. */
  historyCapacity: number;
  /** Machines per page (default 50). */
  pageSize: number;
  /** Days of detection timeline on the machine page (default 30). */
  timelineDays: number;
  sessions: SessionLimits;
  /** Firing alerts of a machine (default: the placeholder hook in alerts.ts, which returns none). */
  alertsFor(machineId: string): Promise<MachineAlert[]>;
}

/** What the dashboard needs from the collector, plus any option to override. */
export interface DashboardDeps extends Partial<DashboardOptions> {
  db: Database;
  auth: AuthStore;
  log: Logger;
}

/** A fastify plugin serving the dashboard; it samples the fleet summary until the app closes. */
export function dashboardPlugin(deps: DashboardDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    // Cookie parsing and serialising (RFC 6265 quoting, decoding, attributes) from the fastify team's plugin.
    await app.register(fastifyCookie);
    const historyIntervalMs = deps.historyIntervalMs ?? 30_000;
    const stop = startSampler(deps.db, async () => (await summary(deps.db)).byStatus, historyIntervalMs, deps.log);
    app.addHook('onClose', stop);
    registerRoutes(app, {
      db: deps.db,
      auth: deps.auth,
      log: deps.log,
      sessions: new SessionStore(deps.sessions ?? DEFAULT_SESSION_LIMITS),
      historyCapacity: deps.historyCapacity ?? 2880,
      secureCookies: deps.secureCookies ?? false,
      pageSize: deps.pageSize ?? 50,
      timelineDays: deps.timelineDays ?? 30,
      historyIntervalMs,
      alertsFor: deps.alertsFor ?? defaultAlertsFor,
    });
  };
}
