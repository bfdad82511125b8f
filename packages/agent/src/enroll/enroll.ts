/** Enrollment: exchange the one-time secret for this agent's own id and token. */
import { makeError } from '@wuwatch/core';
import { readCredentials, writeCredentials, type Credentials } from './credentials.js';

/** Enrolls with the collector and stores the result; returns existing credentials if already enrolled there. */
export async function ensureEnrolled(opts: {
  collectorUrl: string;
  enrollSecret: string | undefined;
  stateDir: string;
  hostname: string;
  force?: boolean;
  fetchImpl?: typeof fetch;
}): Promise<Credentials> {
  const existing = await readCredentials(opts.stateDir);
  if (existing && !opts.force && existing.collectorUrl === opts.collectorUrl) return existing;
  if (!opts.enrollSecret) {
    throw makeError('CONFIG_INVALID', [
      'this agent has no token yet and no enrollment secret was given (set "enrollSecret" or run "wuwatch-agent enroll --secret …")',
    ]);
  }
  const url = opts.collectorUrl.replace(/\/+$/, '') + '/v1/enroll';
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: opts.enrollSecret, hostname: opts.hostname }),
    });
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? (err as Error).message;
    throw makeError('ENROLL_FAILED', [`cannot reach ${url} (${cause})`], undefined, err);
  }
  if (res.status === 401) throw makeError('ENROLL_SECRET_INVALID');
  if (!res.ok) throw makeError('ENROLL_FAILED', [`${url} answered HTTP ${res.status}`]);
  const body = (await res.json()) as { agentId: string; token: string };
  const creds = { agentId: body.agentId, token: body.token, collectorUrl: opts.collectorUrl };
  await writeCredentials(opts.stateDir, creds);
  return creds;
}
