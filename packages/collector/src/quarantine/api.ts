/** The quarantine route: events admission or the database set aside, for the operator (`wuwatch quarantine list`). */
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { makeError } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import { listQuarantined } from './store.js';

const QuarantineQuery = z.object({
  agent: z.string().max(64).optional().describe('only events of this agent id'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Registers GET /v1/quarantine inside the authenticated API scope. */
export function quarantineRoutes(db: Database) {
  return (api: FastifyInstance): void => {
    api.get(
      '/v1/quarantine',
      { schema: { summary: 'Agent events set aside instead of stored, newest first', querystring: QuarantineQuery } },
      async (req) => {
        const r = QuarantineQuery.safeParse(req.query);
        if (!r.success) throw makeError('BAD_REQUEST', [z.prettifyError(r.error).replace(/\n/g, '; ')]);
        return { items: await listQuarantined(db, { agentId: r.data.agent, limit: r.data.limit }) };
      },
    );
  };
}
