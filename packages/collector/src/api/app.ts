/** The collector's HTTP API (fastify): enrollment, fleet queries, credentials, health and metrics. */
import { API_SCOPES } from '../auth/store.js';
import { RateLimiter } from '../auth/rate-limit.js';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import * as z from 'zod';
import { isWuwatchError, makeError } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import type { AuthStore } from '../auth/store.js';
import { bearerToken } from '../auth/tokens.js';
import { collectorVersion } from '../config/version.js';
import { METRICS_CONTENT_TYPE, type Metrics } from './metrics.js';
import { listMachines, machineDetail, summary, wsusServers } from './queries.js';
import { InstallsQuery, listInstalls } from './installs.js';
import { isDatabaseError } from './db-errors.js';
import { checkReadiness, shippedMigrations } from './health.js';
import { ErrorBody, OPENAPI_PATH, registerOpenApi } from './openapi.js';

/** What the API needs from the rest of the collector. */
export interface ApiDeps {
  db: Database;
  auth: AuthStore;
  log: Logger;
  metrics: Metrics;
  https?: { key: Buffer; cert: Buffer } | undefined;
  /** Closes a revoked agent's live connection. */
  disconnectAgent(agentId: string): void;
  /** Extra routes registered by later features (alerts, dashboard). */
  plugins?: ((app: FastifyInstance, auth: (req: FastifyRequest) => Promise<void>) => void | Promise<void>)[];
  /** Routes outside the API's bearer-token scope that authenticate on their own (the dashboard at `/`). */
  rootPlugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** Enrollments one address may attempt per minute (config limits.enrollPerMinutePerAddress). */
  enrollPerMinute?: number;
  /** Migrations this collector ships (readiness compares the database against them); read from disk by default. */
  migrations?: readonly string[];
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw makeError('BAD_REQUEST', [z.prettifyError(r.error).replace(/\n/g, '; ')]);
  return r.data;
}

const IdParams = z.object({ id: z.string().describe('the id a listing returned') });
const EnrollBody = z.object({ secret: z.string().min(1).max(200), hostname: z.string().max(255).optional() });
// Bounded so a typo (year 0000, year 99999) is a clear 400 instead of a database error.
const LATEST_EXPIRY = Date.UTC(9999, 11, 31);
const EnrollSecretBody = z.object({
  comment: z.string().max(200).optional(),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((v) => Date.parse(v) > Date.now() && Date.parse(v) < LATEST_EXPIRY, {
      message: 'expiresAt must be a time in the future (before year 9999)',
    })
    .optional(),
  maxUses: z.number().int().positive().max(1_000_000).optional().describe('agents that may enrol with it'),
});
const TokenBody = z.object({
  name: z.string().min(1).max(100),
  scope: z.enum(API_SCOPES).default('read').describe('read: GET only; admin: everything'),
});

const MachinesQuery = z.object({
  status: z.string().optional(),
  wsus: z.string().optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1000).optional(),
});

const ROUTES = new WeakMap<FastifyInstance, ReadonlyMap<string, ReadonlySet<string>>>();

/** The route patterns an app built by {@link buildApi} registered, with their methods (HEAD included). */
export function registeredRoutes(app: FastifyInstance): ReadonlyMap<string, ReadonlySet<string>> {
  return ROUTES.get(app) ?? new Map();
}

/** Builds the fastify app (not listening yet). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }),
    // Per-request logs would dominate the log at fleet scale; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    ...(deps.https ? { https: deps.https } : {}),
  }) as unknown as FastifyInstance;
  const shipped = deps.migrations ?? (await shippedMigrations());

  // Route schemas are zod schemas for the OpenAPI document; the handlers validate with them (parse below), so
  // errors keep the catalogue's format. Replies are plain JSON, never filtered by a response schema.
  app.setValidatorCompiler(() => (data: unknown) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await registerOpenApi(app, collectorVersion());

  // Every method registered per path, for 405 answers (fastify itself answers 404 for a path with another method).
  const methodsByPath = new Map<string, Set<string>>();
  ROUTES.set(app, methodsByPath);
  app.addHook('onRoute', (route) => {
    const path = route.url;
    const set = methodsByPath.get(path) ?? new Set<string>();
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) set.add(m);
    methodsByPath.set(path, set);
  });
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, never the raw URL: ids and query strings would make a series per request.
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((err, req, reply) => {
    if (isWuwatchError(err)) {
      if (err.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="wuwatch"');
      return reply.status(err.statusCode).send({ code: err.code, message: err.message });
    }
    const e = err as { statusCode?: number; message?: string; validation?: unknown };
    if (e.statusCode && e.statusCode < 500) {
      return reply.status(e.statusCode).send({ code: 'WUW_BAD_REQUEST', message: e.message ?? 'bad request' });
    }
    if (isDatabaseError(err)) {
      deps.metrics.databaseErrors.inc();
      req.log.error({ err }, 'request failed: database error');
      const db = makeError('DATABASE', [e.message ?? 'unknown database error']);
      return reply.status(db.statusCode).send({ code: db.code, message: db.message });
    }
    req.log.error({ err }, 'request failed');
    const internal = makeError('INTERNAL', [e.message ?? 'unexpected error']);
    return reply.status(500).send({ code: internal.code, message: internal.message });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = allowedMethods(methodsByPath, path);
    if (allowed.length > 0) {
      const allow = allowed.join(', ');
      const e = makeError('METHOD_NOT_ALLOWED', [req.method, path, allow]);
      return reply.status(405).header('allow', allow).send({ code: e.code, message: e.message });
    }
    const e = makeError('NOT_FOUND', [`${req.method} ${req.url}`]);
    return reply.status(404).send({ code: e.code, message: e.message });
  });

  const requireApiToken = async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw makeError('UNAUTHORIZED', ['no API token']);
    const scope = await deps.auth.apiScope(token);
    if (scope === 'admin' || (scope === 'read' && (req.method === 'GET' || req.method === 'HEAD'))) return;
    if (scope === 'read') {
      throw makeError('FORBIDDEN', [
        `this token has the read scope; ${req.method} needs an admin token ("wuwatch token create --scope admin")`,
      ]);
    }
    // A live agent token is a real identity that may only talk to the agent endpoint: forbidden, not unknown.
    if (await deps.auth.authenticateAgent(token)) {
      throw makeError('FORBIDDEN', ['an agent token may only connect to /v1/agent, not call the query API']);
    }
    throw makeError('UNAUTHORIZED', ['API token unknown or revoked']);
  };

  const ops = (title: string, description: string) => ({
    schema: { summary: title, description, tags: ['operations'] },
  });

  app.get(
    '/healthz',
    ops('Liveness', 'The process answers HTTP. 200 whenever it runs; restart the collector when this fails.'),
    async () => ({ status: 'ok', database: deps.db.kind }),
  );

  app.get(
    '/readyz',
    ops(
      'Readiness',
      'The database answers and every migration shipped with this collector is applied: 200, otherwise 503 ' +
        'with the reason (route traffic to the collector only while this is 200).',
    ),
    async (req, reply) => {
      const r = await checkReadiness(deps.db, shipped);
      if (!r.ready) {
        if (r.database === 'unreachable') deps.metrics.databaseErrors.inc();
        req.log.warn({ readiness: r }, 'not ready');
        const e = makeError('NOT_READY', [r.reason ?? 'unknown']);
        return reply.status(503).send({ ...r, status: 'not_ready', code: e.code, message: e.message });
      }
      return { status: 'ready', database: deps.db.kind, migrations: shipped.length };
    },
  );

  app.get(
    '/metrics',
    ops('Prometheus metrics', 'Prometheus text exposition format (version 0.0.4); no token needed.'),
    async (req, reply) => {
      // The scrape must still work while the database fails: that is when the error counter matters most.
      await deps.metrics.refreshFromDatabase(deps.db, (what, err) =>
        req.log.error({ err }, `metrics: ${what} unavailable`),
      );
      return reply.type(METRICS_CONTENT_TYPE).send(await deps.metrics.render());
    },
  );

  app.get(OPENAPI_PATH, ops('This document', 'The OpenAPI 3 document of this API.'), async () => app.swagger());

  const enrollLimiter = new RateLimiter(deps.enrollPerMinute ?? 600, 60_000);
  app.post(
    '/v1/enroll',
    {
      schema: {
        summary: 'Enroll an agent',
        description: 'Exchanges an enrollment secret for the agent id and its own token (shown once).',
        body: EnrollBody,
        response: { 401: ErrorBody },
      },
    },
    async (req) => {
      if (!enrollLimiter.take(req.ip)) {
        throw makeError('RATE_LIMITED', [`at most ${deps.enrollPerMinute ?? 600} enrollments a minute per address`]);
      }
      const body = parse(EnrollBody, req.body);
      return deps.auth.enroll(body.secret, body.hostname ?? null);
    },
  );

  await app.register(async (api) => {
    api.addHook('onRequest', requireApiToken);
    api.get('/v1/summary', { schema: { summary: 'Machines per status' } }, async () => summary(deps.db));
    api.get(
      '/v1/machines',
      { schema: { summary: 'List machines (keyset-paged)', querystring: MachinesQuery } },
      async (req) => listMachines(deps.db, parse(MachinesQuery, req.query)),
    );
    api.get(
      '/v1/machines/:id',
      { schema: { summary: 'One machine with its reasons, recent events and timeline', params: IdParams } },
      async (req) => machineDetail(deps.db, parse(IdParams, req.params).id),
    );
    api.get('/v1/wsus-servers', { schema: { summary: 'WSUS servers and who can reach them' } }, async () => ({
      items: await wsusServers(deps.db),
    }));
    api.get(
      '/v1/installs',
      {
        schema: {
          summary: 'Latest installs across the fleet (failed=true: install failures), newest first',
          description:
            'Per machine the collector keeps its last installs (from the WindowsUpdate.log and events 19/20): ' +
            'update title, KB, HRESULT with the catalogue name and meaning, and how many times the update has ' +
            'failed in a row. Times are ISO 8601.',
          querystring: InstallsQuery,
        },
      },
      async (req) => listInstalls(deps.db, parse(InstallsQuery, req.query)),
    );

    api.get('/v1/enroll-secrets', { schema: { summary: 'List enrollment secrets' } }, async () => ({
      items: await deps.auth.listEnrollSecrets(),
    }));
    api.post(
      '/v1/enroll-secrets',
      { schema: { summary: 'Create an enrollment secret (shown once)', body: EnrollSecretBody } },
      async (req, reply) => {
        const b = parse(EnrollSecretBody, req.body ?? {});
        const created = await deps.auth.createEnrollSecret(
          b.comment ?? null,
          b.expiresAt ? new Date(b.expiresAt) : null,
          b.maxUses ?? null,
        );
        return reply.status(201).send(created);
      },
    );
    api.delete(
      '/v1/enroll-secrets/:id',
      { schema: { summary: 'Revoke an enrollment secret', params: IdParams } },
      async (req, reply) => {
        await deps.auth.revokeEnrollSecret(parse(IdParams, req.params).id);
        return reply.status(204).send();
      },
    );

    api.get('/v1/tokens', { schema: { summary: 'List API tokens' } }, async () => ({
      items: await deps.auth.listApiTokens(),
    }));
    api.post(
      '/v1/tokens',
      { schema: { summary: 'Create an API token (shown once)', body: TokenBody } },
      async (req, reply) => {
        const b = parse(TokenBody, req.body ?? {});
        return reply.status(201).send(await deps.auth.createApiToken(b.name, b.scope));
      },
    );
    api.delete(
      '/v1/tokens/:id',
      { schema: { summary: 'Revoke an API token', params: IdParams } },
      async (req, reply) => {
        await deps.auth.revokeApiToken(parse(IdParams, req.params).id);
        return reply.status(204).send();
      },
    );

    api.get('/v1/agents', { schema: { summary: 'List enrolled agents' } }, async () => ({
      items: await deps.auth.listAgents(),
    }));
    api.delete(
      '/v1/agents/:id',
      { schema: { summary: "Revoke an agent's token and close its connection", params: IdParams } },
      async (req, reply) => {
        const id = parse(IdParams, req.params).id;
        await deps.auth.revokeAgent(id);
        deps.disconnectAgent(id);
        return reply.status(204).send();
      },
    );

    for (const plugin of deps.plugins ?? []) await plugin(api, requireApiToken);
  });
  // Each in its own encapsulated context, so its hooks and error handler stay off the JSON API.
  for (const plugin of deps.rootPlugins ?? []) await app.register(plugin);

  return app;
}

/** Methods registered for a concrete path, matching `:param` segments of the registered patterns. */
function allowedMethods(methodsByPath: ReadonlyMap<string, ReadonlySet<string>>, path: string): string[] {
  const parts = path.split('/');
  const out = new Set<string>();
  for (const [pattern, methods] of methodsByPath) {
    const p = pattern.split('/');
    if (p.length !== parts.length) continue;
    if (p.every((seg, i) => (seg.startsWith(':') ? parts[i] !== '' : seg === parts[i]))) {
      for (const m of methods) out.add(m);
    }
  }
  return [...out].sort();
}
