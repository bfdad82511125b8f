/** `wuwatch machine forget HOST [--id ID]`: removes a decommissioned machine (see machines/api.ts). */
import { parseArgs } from 'node:util';
import { callApi, resolveTarget } from './client.js';
import { UsageError, type CliIo } from './io.js';

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  id: { type: 'string' },
} as const;

const USAGE = 'usage: wuwatch machine forget HOST [--id MACHINE_ID] [--json]';

interface Forgotten {
  machineId: string;
  hostname: string;
  agentId: string;
  events: number;
  alertsResolved: number;
}

/**
 * Resolves HOST to one machine (case-insensitive hostname); when several machines share it (a server reinstalled
 * with a new agent) it lists them and asks for --id instead of guessing.
 */
export async function machineForgetCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  const target = resolveTarget(values, io.env);
  const host = positionals[0];
  if (positionals.length > 1 || (!host && !values.id)) throw new UsageError(USAGE);
  let id = values.id;
  if (!id) {
    const r = await callApi<{ items: { id: string; hostname: string; last_seen: string }[] }>(
      target,
      'GET',
      `/v1/machines/by-hostname/${encodeURIComponent(host!)}`,
    );
    if (r.items.length === 0) throw new UsageError(`no machine is called "${host}" (see "wuwatch machines")`);
    if (r.items.length > 1) {
      const list = r.items.map((m) => `  ${m.id}  last seen ${m.last_seen}`).join('\n');
      throw new UsageError(`${r.items.length} machines are called "${host}"; pick one with --id:\n${list}`);
    }
    id = r.items[0]!.id;
  }
  const f = await callApi<Forgotten>(target, 'DELETE', `/v1/machines/${encodeURIComponent(id)}`);
  if (values.json) io.stdout.write(JSON.stringify(f) + '\n');
  else
    io.stdout.write(
      `forgot ${f.hostname} (${f.machineId}): ${f.events} events deleted, agent ${f.agentId} revoked, ` +
        `${f.alertsResolved} open alert(s) resolved\n`,
    );
  return 0;
}
