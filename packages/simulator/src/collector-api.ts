/** The few collector API calls the simulator and the demo make (admin token, JSON over HTTP). */
import { makeError } from '@wuwatch/core';

/** Counts per status, as GET /v1/summary returns them. */
export interface FleetSummary {
  total: number;
  byStatus: Record<string, number>;
}

/** The fields of a GET /v1/machines item the simulator reads. */
export interface MachineRow {
  id: string;
  hostname: string;
  status: string;
  wsus_url: string | null;
  status_reasons: { code: string; message: string }[];
}

async function call<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const url = base.replace(/\/+$/, '') + path;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw makeError('ENROLL_FAILED', [`cannot reach ${url} (${cause})`], undefined, err);
  }
  if (res.status === 401 || res.status === 403) throw makeError('UNAUTHORIZED', [`${url} refused the admin token`]);
  if (!res.ok) throw makeError('BAD_REQUEST', [`${method} ${url} answered HTTP ${res.status}`]);
  return (await res.json()) as T;
}

/** Creates an enrollment secret through the API and returns its value. */
export async function createEnrollSecret(base: string, token: string, comment: string): Promise<string> {
  const r = await call<{ secret: string }>(base, token, 'POST', '/v1/enroll-secrets', { comment });
  return r.secret;
}

/** GET /v1/summary. */
export function fetchSummary(base: string, token: string): Promise<FleetSummary> {
  return call<FleetSummary>(base, token, 'GET', '/v1/summary');
}

/** Every machine with the given status (all machines without one), following the pages. */
export async function fetchMachines(base: string, token: string, status?: string): Promise<MachineRow[]> {
  const out: MachineRow[] = [];
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ limit: '1000' });
    if (status) q.set('status', status);
    if (cursor) q.set('cursor', cursor);
    const page: { items: MachineRow[]; nextCursor: string | null } = await call(
      base,
      token,
      'GET',
      `/v1/machines?${q.toString()}`,
    );
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}
