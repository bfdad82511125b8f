/** `wuwatch alerts`, `wuwatch silence add|list|delete`, `wuwatch notify-test CHANNEL`. */
import { callApi, resolveTarget } from './client.js';
import { UsageError } from './io.js';
import type { CommandContext } from './spec.js';
import { table } from './table.js';
import { timeFormatter } from './time.js';

type Values = CommandContext['values'];

function target(values: Values, io: CommandContext['io']) {
  return resolveTarget({ url: values.url as string | undefined, token: values.token as string | undefined }, io.env);
}

interface AlertRow {
  id: string;
  rule: string;
  subject: string;
  state: string;
  severity: string;
  title: string;
  firing_since: string;
  acknowledged_at: string | null;
}

/** `wuwatch alerts ack ID`: acknowledges an alert. */
export async function alertsAckCommand({ values, positionals, io }: CommandContext): Promise<number> {
  const id = positionals[0]!;
  await callApi(target(values, io), 'POST', `/v1/alerts/${encodeURIComponent(id)}/ack`, { comment: values.comment });
  io.stdout.write(`acknowledged ${id}\n`);
  return 0;
}

/** `wuwatch alerts [list]`: lists alerts (default: open ones). */
export async function alertsListCommand({ values, io }: CommandContext): Promise<number> {
  const state = typeof values.state === 'string' ? values.state : 'open';
  const r = await callApi<{ items: AlertRow[] }>(
    target(values, io),
    'GET',
    `/v1/alerts?state=${encodeURIComponent(state)}`,
  );
  if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
  else {
    const time = timeFormatter(io);
    io.stdout.write(
      table(
        ['STATE', 'SEVERITY', 'RULE', 'TITLE', 'SINCE', 'ACK', 'ID'],
        r.items.map((a) => [
          a.state,
          a.severity,
          a.rule,
          a.title,
          time(a.firing_since),
          a.acknowledged_at ? 'yes' : '',
          a.id,
        ]),
      ) + '\n',
    );
  }
  return 0;
}

function parseFor(s: string): number {
  const m = /^(\d+)\s*([mhd])$/.exec(s.trim());
  if (!m) throw new UsageError('--for takes a duration like 30m, 4h or 2d');
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** `wuwatch silence add`: mutes matching alerts until a time. */
export async function silenceAddCommand({ values, io }: CommandContext): Promise<number> {
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const forText = str('for');
  const until = str('until') ?? (forText ? new Date(Date.now() + parseFor(forText)).toISOString() : undefined);
  if (!until) {
    throw new UsageError(
      'usage: wuwatch silence add [--rule R] [--machine ID] [--wsus URL] (--for 4h | --until ISO) [--comment TEXT]',
    );
  }
  const r = await callApi<{ id: string }>(target(values, io), 'POST', '/v1/silences', {
    ...(str('rule') ? { rule: str('rule') } : {}),
    ...(str('machine') ? { machineId: str('machine') } : {}),
    ...(str('wsus') ? { wsusUrl: str('wsus') } : {}),
    until,
    ...(str('comment') ? { comment: str('comment') } : {}),
  });
  io.stdout.write(`${r.id}\n`);
  return 0;
}

/** `wuwatch silence list`. */
export async function silenceListCommand({ values, io }: CommandContext): Promise<number> {
  const r = await callApi<{
    items: {
      id: string;
      rule: string | null;
      machine_id: string | null;
      wsus_url: string | null;
      until: string;
      comment: string | null;
    }[];
  }>(target(values, io), 'GET', '/v1/silences');
  const time = timeFormatter(io);
  if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
  else
    io.stdout.write(
      table(
        ['ID', 'RULE', 'MACHINE', 'WSUS', 'UNTIL', 'COMMENT'],
        r.items.map((s) => [s.id, s.rule, s.machine_id, s.wsus_url, time(s.until), s.comment]),
      ) + '\n',
    );
  return 0;
}

/** `wuwatch silence delete ID`. */
export async function silenceDeleteCommand({ values, positionals, io }: CommandContext): Promise<number> {
  const id = positionals[0]!;
  await callApi(target(values, io), 'DELETE', `/v1/silences/${encodeURIComponent(id)}`);
  io.stdout.write(`deleted ${id}\n`);
  return 0;
}

/** Sends a test notification through one configured channel. */
export async function notifyTestCommand({ values, positionals, io }: CommandContext): Promise<number> {
  const r = await callApi<{ channel: string; target: string }>(target(values, io), 'POST', '/v1/notify-test', {
    channel: positionals[0],
  });
  io.stdout.write(`test notification delivered through ${r.channel} (${r.target})\n`);
  return 0;
}
