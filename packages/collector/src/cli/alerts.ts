/** `wuwatch alerts`, `wuwatch silence add|list|delete`, `wuwatch notify-test CHANNEL`. */
import { parseArgs } from 'node:util';
import { callApi, resolveTarget } from './client.js';
import { UsageError, type CliIo } from './io.js';
import { table } from './table.js';

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  state: { type: 'string' },
  rule: { type: 'string' },
  machine: { type: 'string' },
  wsus: { type: 'string' },
  until: { type: 'string' },
  for: { type: 'string' },
  comment: { type: 'string' },
} as const;

function parse(args: string[]) {
  return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
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

/** Lists alerts (default: open ones). */
export async function alertsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  const target = resolveTarget(values, io.env);
  if (positionals[0] === 'ack') {
    if (!positionals[1]) throw new UsageError('usage: wuwatch alerts ack ID [--comment TEXT]');
    await callApi(target, 'POST', `/v1/alerts/${encodeURIComponent(positionals[1])}/ack`, { comment: values.comment });
    io.stdout.write(`acknowledged ${positionals[1]}\n`);
    return 0;
  }
  const r = await callApi<{ items: AlertRow[] }>(
    target,
    'GET',
    `/v1/alerts?state=${encodeURIComponent(values.state ?? 'open')}`,
  );
  if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
  else {
    io.stdout.write(
      table(
        ['STATE', 'SEVERITY', 'RULE', 'TITLE', 'SINCE', 'ACK', 'ID'],
        r.items.map((a) => [
          a.state,
          a.severity,
          a.rule,
          a.title,
          a.firing_since,
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

/** Manages silences. */
export async function silenceCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  const target = resolveTarget(values, io.env);
  const sub = positionals[0];
  if (sub === 'add') {
    const until = values.until ?? (values.for ? new Date(Date.now() + parseFor(values.for)).toISOString() : undefined);
    if (!until)
      throw new UsageError(
        'usage: wuwatch silence add [--rule R] [--machine ID] [--wsus URL] (--for 4h | --until ISO) [--comment TEXT]',
      );
    const r = await callApi<{ id: string }>(target, 'POST', '/v1/silences', {
      ...(values.rule ? { rule: values.rule } : {}),
      ...(values.machine ? { machineId: values.machine } : {}),
      ...(values.wsus ? { wsusUrl: values.wsus } : {}),
      until,
      ...(values.comment ? { comment: values.comment } : {}),
    });
    io.stdout.write(`${r.id}\n`);
    return 0;
  }
  if (sub === 'list') {
    const r = await callApi<{
      items: {
        id: string;
        rule: string | null;
        machine_id: string | null;
        wsus_url: string | null;
        until: string;
        comment: string | null;
      }[];
    }>(target, 'GET', '/v1/silences');
    if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
    else
      io.stdout.write(
        table(
          ['ID', 'RULE', 'MACHINE', 'WSUS', 'UNTIL', 'COMMENT'],
          r.items.map((s) => [s.id, s.rule, s.machine_id, s.wsus_url, s.until, s.comment]),
        ) + '\n',
      );
    return 0;
  }
  if (sub === 'delete' && positionals[1]) {
    await callApi(target, 'DELETE', `/v1/silences/${encodeURIComponent(positionals[1])}`);
    io.stdout.write(`deleted ${positionals[1]}\n`);
    return 0;
  }
  throw new UsageError('usage: wuwatch silence add|list|delete ID');
}

/** Sends a test notification through one configured channel. */
export async function notifyTestCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  if (positionals.length !== 1) throw new UsageError('usage: wuwatch notify-test CHANNEL');
  const r = await callApi<{ channel: string; target: string }>(
    resolveTarget(values, io.env),
    'POST',
    '/v1/notify-test',
    { channel: positionals[0] },
  );
  io.stdout.write(`test notification delivered through ${r.channel} (${r.target})\n`);
  return 0;
}
