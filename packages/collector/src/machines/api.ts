/**
 * Machine lifecycle routes, registered as a plugin inside the API-token scope (every API token is an operator
 * credential: the same people who may revoke an agent may forget its machine; dashboard sessions cannot).
 *   GET    /v1/machines/by-hostname/:hostname   the machines with that hostname (the CLI resolves HOST with it)
 *   DELETE /v1/machines/:id                     forget a decommissioned machine
 */
import type { FastifyInstance } from 'fastify';
import { makeError } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import { closeMachineAlerts } from '../alerts/store.js';
import { forgetMachine, machinesByHostname } from './repository.js';

/** Registers the routes; `disconnectAgent` closes the forgotten agent's live connection, if any. */
export function machineLifecycleRoutes(db: Database, disconnectAgent: (agentId: string) => void) {
  return (api: FastifyInstance): void => {
    api.get('/v1/machines/by-hostname/:hostname', async (req) => {
      const { hostname } = req.params as { hostname: string };
      if (hostname.length === 0 || hostname.length > 255)
        throw makeError('BAD_REQUEST', ['hostname: 1–255 characters']);
      return { items: await machinesByHostname(db, hostname) };
    });
    api.delete('/v1/machines/:id', async (req) => {
      const { id } = req.params as { id: string };
      const forgotten = await db.withTransaction(async (q) => {
        const f = await forgetMachine(q, id);
        if (!f) return null;
        const alertsResolved = await closeMachineAlerts(q, id, new Date());
        return { ...f, alertsResolved };
      });
      if (!forgotten) throw makeError('NOT_FOUND', [`Machine ${id}`]);
      disconnectAgent(forgotten.agentId);
      req.log.info(forgotten, 'machine forgotten');
      return forgotten;
    });
  };
}
