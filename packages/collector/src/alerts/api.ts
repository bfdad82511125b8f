/** Alert routes: list and acknowledge alerts, manage silences, send a test notification. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { makeError } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import { ALERT_RULES, ALERT_STATES } from './types.js';
import type { Channel } from './channels/index.js';
import { testNotification } from './message.js';

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw makeError('BAD_REQUEST', [z.prettifyError(r.error).replace(/\n/g, '; ')]);
  return r.data;
}

/** Longest silence; a longer one is an alert rule that should be changed instead. */
const MAX_SILENCE_MS = 366 * 86_400_000;

const SilenceBody = z
  .object({
    rule: z.enum(ALERT_RULES).optional(),
    machineId: z.string().min(1).max(64).optional(),
    wsusUrl: z.string().min(1).max(2048).optional(),
    // Bounded (issue 14): a year-0000 or year-9999 `until` was a database error or a silence for ever.
    until: z.iso
      .datetime({ offset: true })
      .refine((v) => Date.parse(v) > Date.now() && Date.parse(v) <= Date.now() + MAX_SILENCE_MS, {
        message: 'until must be in the future and at most 366 days ahead',
      }),
    comment: z.string().max(1000).optional(),
  })
  .strict()
  .refine((s) => s.rule || s.machineId || s.wsusUrl, { message: 'give at least one of rule, machineId, wsusUrl' });

/** Registers the alert routes inside the authenticated API scope. */
export function alertRoutes(db: Database, channels: ReadonlyMap<string, Channel>) {
  return (api: FastifyInstance): void => {
    api.get('/v1/alerts', async (req) => {
      const q = parse(
        z.object({
          state: z.enum([...ALERT_STATES, 'open']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
        req.query,
      );
      const where = q.state === 'open' ? `WHERE state <> 'resolved'` : q.state ? `WHERE state = $2` : '';
      const params: unknown[] = [q.limit];
      if (q.state && q.state !== 'open') params.push(q.state);
      const { rows } = await db.query(`SELECT * FROM alerts ${where} ORDER BY firing_since DESC LIMIT $1`, params);
      return { items: rows };
    });
    api.post('/v1/alerts/:id/ack', async (req) => {
      const b = parse(z.object({ comment: z.string().max(1000).optional() }), req.body ?? {});
      // updated_at is left alone: it records the machine data the evaluator last saw (store.ts, loadSeenVersions).
      const { rows } = await db.query(
        `UPDATE alerts SET acknowledged_at = now(), ack_comment = $2 WHERE id = $1 RETURNING *`,
        [(req.params as { id: string }).id, b.comment ?? null],
      );
      if (!rows[0]) throw makeError('NOT_FOUND', [`Alert ${(req.params as { id: string }).id}`]);
      return rows[0];
    });
    api.get('/v1/silences', async () => {
      const { rows } = await db.query(`SELECT * FROM silences WHERE deleted_at IS NULL ORDER BY until DESC`);
      return { items: rows };
    });
    api.post('/v1/silences', async (req, reply) => {
      const b = parse(SilenceBody, req.body ?? {});
      const id = `sil_${randomBytes(9).toString('base64url')}`;
      const { rows } = await db.query(
        `INSERT INTO silences (id, rule, machine_id, wsus_url, until, comment) VALUES ($1,$2,$3,$4,$5,$6) RETURNING *`,
        [id, b.rule ?? null, b.machineId ?? null, b.wsusUrl ?? null, new Date(b.until), b.comment ?? null],
      );
      return reply.status(201).send(rows[0]);
    });
    api.delete('/v1/silences/:id', async (req, reply) => {
      const { rowCount } = await db.query(
        `UPDATE silences SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`,
        [(req.params as { id: string }).id],
      );
      if (rowCount === 0) throw makeError('NOT_FOUND', [`Silence ${(req.params as { id: string }).id}`]);
      return reply.status(204).send();
    });
    api.post('/v1/notify-test', async (req) => {
      const b = parse(z.object({ channel: z.string().min(1) }), req.body ?? {});
      const channel = channels.get(b.channel);
      if (!channel)
        throw makeError('NOT_FOUND', [
          `Alert channel "${b.channel}" (configured: ${[...channels.keys()].join(', ') || 'none'})`,
        ]);
      await channel.send(testNotification(new Date()));
      return { delivered: true, channel: channel.name, target: channel.target };
    });
  };
}
