/** `wuwatch quarantine list`: agent events set aside instead of stored, with the reason. */
import type { QuarantineRow } from '../quarantine/store.js';
import { callApi, resolveTarget } from './client.js';
import type { CommandContext } from './spec.js';
import { table } from './table.js';
import { timeFormatter } from './time.js';

/** `wuwatch quarantine [list]`: lists quarantined events, newest first (the raw JSON with --json). */
export async function quarantineListCommand({ values, io }: CommandContext): Promise<number> {
  const target = resolveTarget(
    { url: values.url as string | undefined, token: values.token as string | undefined },
    io.env,
  );
  const params = new URLSearchParams();
  if (typeof values.agent === 'string') params.set('agent', values.agent);
  if (typeof values.limit === 'string') params.set('limit', values.limit);
  const qs = params.size > 0 ? `?${params.toString()}` : '';
  const r = await callApi<{ items: QuarantineRow[] }>(target, 'GET', `/v1/quarantine${qs}`);
  if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
  else {
    const time = timeFormatter(io);
    io.stdout.write(
      table(
        ['RECEIVED', 'AGENT', 'SEQ', 'KIND', 'CLASS', 'REASON'],
        r.items.map((q) => [time(q.received_at), q.agent_id, q.seq, q.kind, q.class, q.reason]),
      ) + '\n',
    );
  }
  return 0;
}
