/** The `wuwatch` commands that talk to a running collector over its API. */
import { parseArgs } from 'node:util';
import { callApi, resolveTarget } from './client.js';
import { UsageError, type CliIo } from './io.js';
import { table } from './table.js';

const COMMON = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

const EXTRA = {
  comment: { type: 'string' },
  name: { type: 'string' },
  expires: { type: 'string' },
  status: { type: 'string' },
  wsus: { type: 'string' },
  q: { type: 'string' },
} as const;

function parse(args: string[]) {
  return parseArgs({ args, options: { ...COMMON, ...EXTRA }, allowPositionals: true, strict: true });
}

type Listing = { id: string; prefix: string; label: string | null; createdAt: string; revokedAt: string | null };

function printListing(io: CliIo, items: Listing[], json: boolean, labelHeader: string): void {
  if (json) return void io.stdout.write(JSON.stringify(items) + '\n');
  io.stdout.write(
    table(
      ['ID', 'PREFIX', labelHeader, 'CREATED', 'REVOKED'],
      items.map((i) => [i.id, i.prefix + '…', i.label, i.createdAt, i.revokedAt]),
    ) + '\n',
  );
}

/** `wuwatch enroll-secret create|list|revoke`, `wuwatch token …` and `wuwatch agent list|revoke`. */
export function credentialCommand(kind: 'enroll-secret' | 'token' | 'agent') {
  const path = kind === 'enroll-secret' ? '/v1/enroll-secrets' : kind === 'token' ? '/v1/tokens' : '/v1/agents';
  return async (args: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parse(args);
    const target = resolveTarget(values, io.env);
    const [sub, id] = positionals;
    if (sub === 'list') {
      const r = await callApi<{ items: Listing[] }>(target, 'GET', path);
      printListing(io, r.items, values.json, kind === 'token' ? 'NAME' : kind === 'agent' ? 'HOSTNAME' : 'COMMENT');
      return 0;
    }
    if (sub === 'revoke') {
      if (!id) throw new UsageError(`usage: wuwatch ${kind} revoke ID`);
      await callApi(target, 'DELETE', `${path}/${encodeURIComponent(id)}`);
      io.stdout.write(`revoked ${id}\n`);
      return 0;
    }
    if (sub === 'create' && kind !== 'agent') {
      const body =
        kind === 'token'
          ? { name: values.name ?? id ?? 'cli' }
          : {
              ...(values.comment ? { comment: values.comment } : {}),
              ...(values.expires ? { expiresAt: values.expires } : {}),
            };
      const r = await callApi<{ id: string; secret?: string; token?: string }>(target, 'POST', path, body);
      if (values.json) io.stdout.write(JSON.stringify(r) + '\n');
      else {
        io.stdout.write(`${r.id}\n${r.secret ?? r.token}\n`);
        io.stderr.write('Store it now: it is shown only once.\n');
      }
      return 0;
    }
    throw new UsageError(`usage: wuwatch ${kind} ${kind === 'agent' ? 'list|revoke ID' : 'create|list|revoke ID'}`);
  };
}

/** `wuwatch status`: machines per status. */
export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args);
  const s = await callApi<{ total: number; byStatus: Record<string, number> }>(
    resolveTarget(values, io.env),
    'GET',
    '/v1/summary',
  );
  if (values.json) io.stdout.write(JSON.stringify(s) + '\n');
  else io.stdout.write(table(['STATUS', 'MACHINES'], [...Object.entries(s.byStatus), ['total', s.total]]) + '\n');
  return 0;
}

interface MachineRow {
  id: string;
  hostname: string;
  status: string;
  wsus_url: string | null;
  last_detection_hresult: string | null;
  consecutive_detection_failures: number;
  last_seen: string;
  status_reasons: { message: string }[];
}

/** `wuwatch machines [--status S] [--wsus URL] [--q TEXT] [--json]`: every page, in hostname order. */
export async function machinesCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args);
  const target = resolveTarget(values, io.env);
  const items: MachineRow[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams({ limit: '1000' });
    if (values.status) qs.set('status', values.status);
    if (values.wsus) qs.set('wsus', values.wsus);
    if (values.q) qs.set('q', values.q);
    if (cursor) qs.set('cursor', cursor);
    const page: { items: MachineRow[]; nextCursor: string | null } = await callApi(target, 'GET', `/v1/machines?${qs}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  if (values.json) io.stdout.write(JSON.stringify(items) + '\n');
  else {
    io.stdout.write(
      table(
        ['HOSTNAME', 'STATUS', 'WSUS', 'LAST ERROR', 'FAILS', 'ID'],
        items.map((m) => [
          m.hostname,
          m.status,
          m.wsus_url,
          m.last_detection_hresult,
          m.consecutive_detection_failures,
          m.id,
        ]),
      ) + '\n',
    );
  }
  return 0;
}

/** `wuwatch machine ID`: one machine with its reasons and evidence. */
export async function machineCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args);
  if (positionals.length !== 1) throw new UsageError('usage: wuwatch machine ID');
  const m = await callApi<MachineRow & { recentEvents: unknown[] }>(
    resolveTarget(values, io.env),
    'GET',
    `/v1/machines/${encodeURIComponent(positionals[0]!)}`,
  );
  if (values.json) return (void io.stdout.write(JSON.stringify(m) + '\n'), 0);
  io.stdout.write(
    `${m.hostname}  ${m.status}\nWSUS: ${m.wsus_url ?? '(none: Microsoft Update)'}\nLast seen: ${m.last_seen}\n`,
  );
  for (const r of m.status_reasons) io.stdout.write(`- ${r.message}\n`);
  return 0;
}

/** `wuwatch wsus`: the WSUS servers view. */
export async function wsusCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args);
  const r = await callApi<{
    items: {
      url: string;
      machines: number;
      reachable: number;
      state: string;
      orphan: boolean;
      lastAnswerAt: string | null;
    }[];
  }>(resolveTarget(values, io.env), 'GET', '/v1/wsus-servers');
  if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
  else {
    io.stdout.write(
      table(
        ['URL', 'MACHINES', 'REACHABLE', 'STATE', 'ORPHAN', 'LAST ANSWER'],
        r.items.map((w) => [w.url, w.machines, w.reachable, w.state, w.orphan ? 'yes' : '', w.lastAnswerAt]),
      ) + '\n',
    );
  }
  return 0;
}
