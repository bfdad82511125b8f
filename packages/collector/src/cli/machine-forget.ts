/** `wuwatch machine forget HOST [--id ID]`: removes a decommissioned machine (see machines/api.ts). */
import { callApi, resolveTarget } from './client.js';
import { UsageError } from './io.js';
import type { CommandContext, CommandSpec } from './spec.js';

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
export async function machineForgetCommand({ values, positionals, io }: CommandContext): Promise<number> {
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const target = resolveTarget({ url: str('url'), token: str('token') }, io.env);
  const host = positionals[0];
  let id = str('id');
  if (positionals.length > 1 || (!host && !id)) throw new UsageError('usage: wuwatch machine forget HOST [--id ID]');
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
  if (values.json === true) io.stdout.write(JSON.stringify(f) + '\n');
  else
    io.stdout.write(
      `forgot ${f.hostname} (${f.machineId}): ${f.events} events deleted, agent ${f.agentId} revoked, ` +
        `${f.alertsResolved} open alert(s) resolved\n`,
    );
  return 0;
}

/** The command's declaration for the registry (the lead adds the shared API and JSON options when wiring it). */
export const MACHINE_FORGET: Omit<CommandSpec, 'options'> & { options: NonNullable<CommandSpec['options']> } = {
  name: 'forget',
  summary: 'forget a decommissioned machine: its events, rollups and open alerts go, its agent token is revoked',
  args: [{ name: 'HOST', description: 'hostname (case-insensitive); omit with --id', required: false }],
  options: {
    id: { type: 'string', value: 'ID', description: 'the machine id, when several machines share the hostname' },
  },
  examples: ['wuwatch machine forget SRV-OLD-01', 'wuwatch machine forget SRV-APP --id 6f1c…'],
  run: machineForgetCommand,
};
