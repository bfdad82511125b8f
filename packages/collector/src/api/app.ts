/** The collector's HTTP API (fastify): enrollment, fleet queries, credentials, health and metrics. */
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import * as z from 'zod';
import { isWuwatchError, makeError } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import type { AuthStore } from '../auth/store.js';
import { bearerToken } from '../auth/tokens.js';
import type { Metrics } from './metrics.js';
import { listMachines, machineDetail, summary, wsusServers } from './queries.js';
import { isDatabaseError } from './db-errors.js';

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
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw makeError('BAD_REQUEST', [z.prettifyError(r.error).replace(/\n/g, '; ')]);
  return r.data;
}

const MachinesQuery = z.object({
  status: z.string().optional(),
  wsus: z.string().optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1000).optional(),
});

/** Builds the fastify app (not listening yet). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }),
    // Per-request logs would dominate the log at fleet scale; errors are still logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    ...(deps.https ? { https: deps.https } : {}),
  }) as unknown as FastifyInstance;

  app.setErrorHandler((err, req, reply) => {
    if (isWuwatchError(err)) return reply.status(err.statusCode).send({ code: err.code, message: err.message });
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
    const e = makeError('NOT_FOUND', [`${req.method} ${req.url}`]);
    return reply.status(404).send({ code: e.code, message: e.message });
  });

  const requireApiToken = async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw makeError('UNAUTHORIZED', ['no API token']);
    if (!(await deps.auth.authenticateApi(token))) throw makeError('UNAUTHORIZED', ['API token unknown or revoked']);
  };

  app.get('/healthz', async () => {
    await deps.db.query('SELECT 1');
    return { status: 'ok', database: deps.db.kind };
  });

  app.get('/metrics', async (req, reply) => {
    // The scrape must still work while the database fails: that is when the error counter matters most.
    let byStatus: Record<string, number> = {};
    try {
      byStatus = (await summary(deps.db)).byStatus;
    } catch (err) {
      deps.metrics.databaseErrors.inc();
      req.log.error({ err }, 'metrics: machine counts unavailable');
    }
    return reply.type('text/plain; version=0.0.4').send(deps.metrics.render(byStatus));
  });

  app.post('/v1/enroll', async (req) => {
    const body = parse(
      z.object({ secret: z.string().min(1).max(200), hostname: z.string().max(255).optional() }),
      req.body,
    );
    return deps.auth.enroll(body.secret, body.hostname ?? null);
  });

  await app.register(async (api) => {
    api.addHook('onRequest', requireApiToken);
    api.get('/v1/summary', async () => summary(deps.db));
    api.get('/v1/machines', async (req) => listMachines(deps.db, parse(MachinesQuery, req.query)));
    api.get('/v1/machines/:id', async (req) => machineDetail(deps.db, (req.params as { id: string }).id));
    api.get('/v1/wsus-servers', async () => ({ items: await wsusServers(deps.db) }));

    api.get('/v1/enroll-secrets', async () => ({ items: await deps.auth.listEnrollSecrets() }));
    api.post('/v1/enroll-secrets', async (req, reply) => {
      const b = parse(
        z.object({ comment: z.string().max(200).optional(), expiresAt: z.iso.datetime({ offset: true }).optional() }),
        req.body ?? {},
      );
      const created = await deps.auth.createEnrollSecret(b.comment ?? null, b.expiresAt ? new Date(b.expiresAt) : null);
      return reply.status(201).send(created);
    });
    api.delete('/v1/enroll-secrets/:id', async (req, reply) => {
      await deps.auth.revokeEnrollSecret((req.params as { id: string }).id);
      return reply.status(204).send();
    });

    api.get('/v1/tokens', async () => ({ items: await deps.auth.listApiTokens() }));
    api.post('/v1/tokens', async (req, reply) => {
      const b = parse(z.object({ name: z.string().min(1).max(100) }), req.body ?? {});
      return reply.status(201).send(await deps.auth.createApiToken(b.name));
    });
    api.delete('/v1/tokens/:id', async (req, reply) => {
      await deps.auth.revokeApiToken((req.params as { id: string }).id);
      return reply.status(204).send();
    });

    api.get('/v1/agents', async () => ({ items: await deps.auth.listAgents() }));
    api.delete('/v1/agents/:id', async (req, reply) => {
      const id = (req.params as { id: string }).id;
      await deps.auth.revokeAgent(id);
      deps.disconnectAgent(id);
      return reply.status(204).send();
    });

    for (const plugin of deps.plugins ?? []) await plugin(api, requireApiToken);
  });
  // Each in its own encapsulated context, so its hooks and error handler stay off the JSON API.
  for (const plugin of deps.rootPlugins ?? []) await app.register(plugin);

  return app;
}
