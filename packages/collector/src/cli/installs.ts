/** `wuwatch installs [--failed]`: the fleet's latest installs, or its install failures, newest first. */
import type { InstallItem } from '../api/installs.js';
import { callApi, resolveTarget } from './client.js';
import { UsageError } from './io.js';
import type { CommandContext } from './spec.js';
import { table } from './table.js';
import { timeFormatter } from './time.js';

/** Runs `wuwatch installs`. */
export async function installsCommand({ values, io }: CommandContext): Promise<number> {
  const api = resolveTarget(
    { url: values.url as string | undefined, token: values.token as string | undefined },
    io.env,
  );
  const qs = new URLSearchParams({ failed: values.failed === true ? 'true' : 'false' });
  if (typeof values.machine === 'string') qs.set('machine', values.machine);
  if (typeof values.limit === 'string') {
    if (!/^\d+$/.test(values.limit)) throw new UsageError('--limit takes a number (1 to 1000)');
    qs.set('limit', values.limit);
  }
  const r = await callApi<{ items: InstallItem[] }>(api, 'GET', `/v1/installs?${qs.toString()}`);
  if (values.json) return (void io.stdout.write(JSON.stringify(r.items) + '\n'), 0);
  const time = timeFormatter(io);
  io.stdout.write(
    table(
      ['WHEN', 'HOSTNAME', 'OUTCOME', 'KB', 'ERROR', 'IN A ROW', 'UPDATE'],
      r.items.map((i) => [
        time(i.at),
        i.hostname,
        i.outcome,
        i.kb,
        i.hresult ? `${i.hresult}${i.hresultName ? ` ${i.hresultName}` : ''}` : null,
        i.outcome === 'failed' ? i.failuresInARow : null,
        i.title ?? i.updateId,
      ]),
    ) + '\n',
  );
  return 0;
}
