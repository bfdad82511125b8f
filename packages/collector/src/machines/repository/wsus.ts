/** The `wsus_servers` projection and the fleet's WSUS pointers: every statement on `wsus_servers`. */
import type { ProbeData } from '@wuwatch/core';
import type { Queryable } from '../../db/index.js';
import type { MachineProjection } from '../projection.js';

/** Records the WSUS server a projection points at, with its freshest probe (the `wsus_servers` projection). */
export async function saveWsusServer(q: Queryable, p: MachineProjection, now: Date): Promise<void> {
  if (!p.wsusUrl) return;
  // An agent's clock may run ahead (admission lets event times up to its allowance into the future): the server view
  // never records an answer or a probe later than the collector's own now, so no agent can pin them ahead.
  const notAfterNow = (d: Date | null) => (d && d.getTime() > now.getTime() ? now : d);
  const answered = notAfterNow(p.lastProbe?.ok ? (p.lastProbeAt ?? now) : null);
  await q.query(
    `INSERT INTO wsus_servers (url, first_seen, last_answer_at, last_probe_at, last_probe_class)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (url) DO UPDATE SET
       last_answer_at = GREATEST(wsus_servers.last_answer_at, EXCLUDED.last_answer_at),
       last_probe_at = GREATEST(wsus_servers.last_probe_at, EXCLUDED.last_probe_at),
       last_probe_class = COALESCE(EXCLUDED.last_probe_class, wsus_servers.last_probe_class)`,
    [p.wsusUrl, now, answered, notAfterNow(p.lastProbeAt), p.lastProbe?.class ?? null],
  );
}

/** One machine's WSUS pointer and last probe, as the fleet rules read them. */
export interface PointerRow {
  url: string;
  hostname: string;
  probe: Pick<ProbeData, 'url' | 'ok' | 'class' | 'httpStatus'> | null;
  probeAt: Date | null;
}

/** Every machine pointing at a WSUS server, in (url, hostname) order, plus each server's last answer. */
export async function wsusPointers(
  q: Queryable,
): Promise<{ pointers: PointerRow[]; lastAnswerAt: Map<string, Date | null> }> {
  const { rows } = await q.query<{
    url: string;
    hostname: string;
    probe: PointerRow['probe'];
    probe_at: Date | null;
  }>(
    `SELECT wsus_url AS url, hostname, CASE WHEN last_probe IS NULL THEN NULL ELSE jsonb_build_object('url',
         last_probe->'url', 'ok', last_probe->'ok', 'class', last_probe->'class', 'httpStatus', last_probe->'httpStatus')
       END AS probe, last_probe_at AS probe_at
     FROM machines WHERE wsus_url IS NOT NULL
     ORDER BY 1, 2`,
  );
  const { rows: servers } = await q.query<{ url: string; last_answer_at: Date | null }>(
    'SELECT url, last_answer_at FROM wsus_servers',
  );
  return {
    pointers: rows.map((r) => ({ url: r.url, hostname: r.hostname, probe: r.probe, probeAt: r.probe_at })),
    lastAnswerAt: new Map(servers.map((s) => [s.url, s.last_answer_at])),
  };
}
