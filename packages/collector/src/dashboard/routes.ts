/** The dashboard's routes: login/logout, the stylesheet, and the four pages behind the session guard. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import * as z from 'zod';
import { isWuwatchError, makeError } from '@wuwatch/core';
import type { AuthStore } from '../auth/store.js';
import { hashCredential } from '../auth/tokens.js';
import type { Queryable } from '../db/index.js';
import { listMachines, machineDetail, summary, wsusServers } from '../api/queries.js';
import { listInstalls } from '../api/installs.js';
import { isDatabaseError } from '../api/db-errors.js';
import type { MachineAlert } from './alerts.js';
import { hasLiveSession, HTML_TYPE, requireViewer, safeNext, sameOriginOnly, sessionId } from './auth.js';
import type { SafeHtml } from './html.js';
import { loadHistory } from './history.js';
import { errorPage } from './pages/error.js';
import { loginPage } from './pages/login.js';
import { machinePage, type MachineDetail } from './pages/machine.js';
import { machinesPage, type MachineListItem } from './pages/machines.js';
import { summaryPage } from './pages/summary.js';
import { wsusPage } from './pages/wsus.js';
import { SESSION_COOKIE, sessionCookieOptions, type SessionStore } from './session.js';
import { DASHBOARD_CSS, DASHBOARD_CSS_ETAG } from './style.js';

/** What the routes need. */
export interface RouteDeps {
  db: Queryable;
  auth: AuthStore;
  log: Logger;
  sessions: SessionStore;
  /** Samples the summary chart draws. */
  historyCapacity: number;
  secureCookies: boolean;
  pageSize: number;
  timelineDays: number;
  historyIntervalMs: number;
  alertsFor(machineId: string): Promise<MachineAlert[]>;
}

// No scripts, no external anything: the pages need only their own stylesheet and forms posting to themselves.
const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const optional = (max: number) => z.preprocess((v) => (v === '' ? undefined : v), z.string().max(max).optional());

const MachinesQuery = (pageSize: number) =>
  z.object({
    status: optional(40),
    q: optional(200),
    wsus: optional(500),
    limit: z.coerce.number().int().min(1).max(500).default(pageSize),
    cursor: optional(1000),
  });

function send(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type(HTML_TYPE).send(body.value);
}

/** Registers every dashboard route on `app` (an encapsulated fastify context). */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  app.addHook('onSend', async (req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((err, req, reply) => {
    const signedIn = !req.url.startsWith('/login');
    if (isWuwatchError(err))
      return send(reply, errorPage(err.statusCode, err.message, new Date(), signedIn), err.statusCode);
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode && e.statusCode < 500) {
      return send(reply, errorPage(e.statusCode, e.message ?? 'Bad request.', new Date(), signedIn), e.statusCode);
    }
    const wrapped = isDatabaseError(err)
      ? makeError('DATABASE', [e.message ?? 'unknown database error'])
      : makeError('INTERNAL', [e.message ?? 'unexpected error']);
    req.log.error({ err }, 'dashboard page failed');
    return send(reply, errorPage(wrapped.statusCode, wrapped.message, new Date(), signedIn), wrapped.statusCode);
  });

  app.get('/dashboard.css', async (req, reply) => {
    reply.header('cache-control', 'no-cache').header('etag', DASHBOARD_CSS_ETAG);
    if (req.headers['if-none-match'] === DASHBOARD_CSS_ETAG) return reply.code(304).send();
    return reply.type('text/css; charset=utf-8').send(DASHBOARD_CSS);
  });

  app.get('/login', async (req, reply) => {
    const next = safeNext((req.query as Record<string, unknown>).next);
    if (await hasLiveSession(req, deps)) return reply.redirect(next, 303);
    return send(reply, loginPage({ now: new Date(), next }));
  });

  app.post('/login', { onRequest: sameOriginOnly }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const next = safeNext(body.next);
    if (!token || token.length > 512 || !(await deps.auth.authenticateApi(token))) {
      req.log.warn({ ip: req.ip }, 'dashboard login refused: unknown or revoked API token');
      const error = 'That token is unknown or revoked. Paste an API token created with "wuwatch token create".';
      return send(reply, loginPage({ now: new Date(), next, error }), 401);
    }
    const id = deps.sessions.create(hashCredential(token));
    reply.setCookie(SESSION_COOKIE, id, sessionCookieOptions(deps.sessions.maxAgeSeconds, deps.secureCookies));
    return reply.redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    const id = sessionId(req);
    if (id) deps.sessions.delete(id);
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(0, deps.secureCookies));
    return reply.redirect('/login', 303);
  });

  app.register(async (pages) => {
    pages.addHook('onRequest', requireViewer(deps));

    pages.get('/', async (_req, reply) => {
      const [s, wsus, history, installs] = await Promise.all([
        summary(deps.db),
        wsusServers(deps.db),
        loadHistory(deps.db, deps.historyCapacity),
        listInstalls(deps.db, { failed: 'true', limit: 10 }),
      ]);
      const view = {
        now: new Date(),
        total: s.total,
        byStatus: s.byStatus,
        history,
        sampleSeconds: Math.round(deps.historyIntervalMs / 1000),
        wsus,
        installFailures: installs.items,
      };
      return send(reply, summaryPage(view));
    });

    pages.get('/machines', async (req, reply) => {
      const r = MachinesQuery(deps.pageSize).safeParse(req.query);
      if (!r.success) throw makeError('BAD_REQUEST', [z.prettifyError(r.error).replace(/\n/g, '; ')]);
      const res = await listMachines(deps.db, r.data);
      const view = {
        now: new Date(),
        items: res.items as MachineListItem[],
        nextCursor: res.nextCursor,
        filters: r.data,
        defaultLimit: deps.pageSize,
      };
      return send(reply, machinesPage(view));
    });

    pages.get('/machines/:id', async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const machine = (await machineDetail(deps.db, id, deps.timelineDays)) as unknown as MachineDetail;
      const alerts = await deps.alertsFor(machine.id);
      return send(reply, machinePage({ now: new Date(), machine, alerts, days: deps.timelineDays }));
    });

    pages.get('/wsus', async (_req, reply) => {
      return send(reply, wsusPage({ now: new Date(), servers: await wsusServers(deps.db) }));
    });
  });
}
