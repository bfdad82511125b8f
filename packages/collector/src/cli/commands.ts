/** The `wuwatch` commands that talk to a running collector over its API. */
import { callApi, resolveTarget } from './client.js';
import type { CliIo } from './io.js';
import type { CommandContext } from './spec.js';
import { table } from './table.js';
import { humanizeTimes, peopleTimeZone } from '../time/people.js';
import { timeFormatter } from './time.js';

type Values = CommandContext['values'];

function target(values: Values, io: CommandContext['io']) {
  return resolveTarget({ url: values.url as string | undefined, token: values.token as string | undefined }, io.env);
}

type Listing = { id: string; prefix: string; label: string | null; createdAt: string; revokedAt: string | null };

function printListing(io: CliIo, items: Listing[], json: boolean, labelHeader: string): void {
  if (json) return void io.stdout.write(JSON.stringify(items) + '\n');
  const time = timeFormatter(io);
  io.stdout.write(
    table(
      ['ID', 'PREFIX', labelHeader, 'CREATED', 'REVOKED'],
      items.map((i) => [i.id, i.prefix + '…', i.label, time(i.createdAt), i.revokedAt ? time(i.revokedAt) : null]),
    ) + '\n',
  );
}

/** The credential kinds the CLI manages, with their API path and listing label. */
export const CREDENTIALS = {
  'enroll-secret': { path: '/v1/enroll-secrets', label: 'COMMENT' },
  token: { path: '/v1/tokens', label: 'NAME' },
  agent: { path: '/v1/agents', label: 'HOSTNAME' },
} as const;

export type CredentialKind = keyof typeof CREDENTIALS;

/** `wuwatch <kind> list`. */
export function credentialList(kind: CredentialKind) {
  return async ({ values, io }: CommandContext): Promise<number> => {
    const r = await callApi<{ items: Listing[] }>(target(values, io), 'GET', CREDENTIALS[kind].path);
    printListing(io, r.items, values.json === true, CREDENTIALS[kind].label);
    return 0;
  };
}

/** `wuwatch <kind> revoke ID`. */
export function credentialRevoke(kind: CredentialKind) {
  return async ({ values, positionals, io }: CommandContext): Promise<number> => {
    const id = positionals[0]!;
    await callApi(target(values, io), 'DELETE', `${CREDENTIALS[kind].path}/${encodeURIComponent(id)}`);
    io.stdout.write(`revoked ${id}\n`);
    return 0;
  };
}

/** `wuwatch token create [NAME]` and `wuwatch enroll-secret create`: prints the id and the secret (once). */
export function credentialCreate(kind: 'enroll-secret' | 'token') {
  return async ({ values, positionals, io }: CommandContext): Promise<number> => {
    const body =
      kind === 'token'
        ? {
            name: (values.name as string | undefined) ?? positionals[0] ?? 'cli',
            ...(values.scope ? { scope: values.scope } : {}),
          }
        : {
            ...(values.comment ? { comment: values.comment } : {}),
            ...(values.expires ? { expiresAt: values.expires } : {}),
            ...(values['max-uses'] !== undefined ? { maxUses: Number(values['max-uses']) } : {}),
          };
    const r = await callApi<{ id: string; secret?: string; token?: string }>(
      target(values, io),
      'POST',
      CREDENTIALS[kind].path,
      body,
    );
    if (values.json) io.stdout.write(JSON.stringify(r) + '\n');
    else {
      io.stdout.write(`${r.id}\n${r.secret ?? r.token}\n`);
      io.stderr.write('Store it now: it is shown only once.\n');
    }
    return 0;
  };
}

/** `wuwatch status`: machines per status. */
export async function statusCommand({ values, io }: CommandContext): Promise<number> {
  const s = await callApi<{ total: number; byStatus: Record<string, number> }>(
    target(values, io),
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
export async function machinesCommand({ values, io }: CommandContext): Promise<number> {
  const api = target(values, io);
  const items: MachineRow[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams({ limit: '1000' });
    for (const k of ['status', 'wsus', 'q'] as const) if (typeof values[k] === 'string') qs.set(k, values[k]);
    if (cursor) qs.set('cursor', cursor);
    const page: { items: MachineRow[]; nextCursor: string | null } = await callApi(
      api,
      'GET',
      `/v1/machines?${qs.toString()}`,
    );
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
export async function machineCommand({ values, positionals, io }: CommandContext): Promise<number> {
  const m = await callApi<MachineRow & { recentEvents: unknown[] }>(
    target(values, io),
    'GET',
    `/v1/machines/${encodeURIComponent(positionals[0]!)}`,
  );
  if (values.json) return (void io.stdout.write(JSON.stringify(m) + '\n'), 0);
  io.stdout.write(
    `${m.hostname}  ${m.status}\nWSUS: ${m.wsus_url ?? '(none: Microsoft Update)'}\nLast seen: ${timeFormatter(io)(m.last_seen)}\n`,
  );
  // The reasons say ISO times (stored, compared); people read them in the CLI's zone, like the tables.
  const now = new Date();
  for (const r of m.status_reasons) io.stdout.write(`- ${humanizeTimes(r.message, now, peopleTimeZone(io.env))}\n`);
  return 0;
}

/** `wuwatch wsus`: the WSUS servers view. */
export async function wsusCommand({ values, io }: CommandContext): Promise<number> {
  const r = await callApi<{
    items: {
      url: string;
      machines: number;
      reachable: number;
      state: string;
      orphan: boolean;
      lastAnswerAt: string | null;
    }[];
  }>(target(values, io), 'GET', '/v1/wsus-servers');
  if (values.json) io.stdout.write(JSON.stringify(r.items) + '\n');
  else {
    const time = timeFormatter(io);
    io.stdout.write(
      table(
        ['URL', 'MACHINES', 'REACHABLE', 'STATE', 'ORPHAN', 'LAST ANSWER'],
        r.items.map((w) => [
          w.url,
          w.machines,
          w.reachable,
          w.state,
          w.orphan ? 'yes' : '',
          w.lastAnswerAt ? time(w.lastAnswerAt) : null,
        ]),
      ) + '\n',
    );
  }
  return 0;
}
