/** The CLI's HTTP client for a running collector: URL and token from flags or the environment. */
import { makeError } from '@wuwatch/core';
import { UsageError } from './io.js';

/** Where the collector is and how to authenticate. */
export interface ApiTarget {
  url: string;
  token: string | undefined;
}

/** Error answered by the collector API, with its stable code. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Resolves the API target from --url/--token or WUWATCH_URL/WUWATCH_TOKEN. */
export function resolveTarget(
  flags: { url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv,
): ApiTarget {
  const url = flags.url ?? env.WUWATCH_URL ?? 'http://127.0.0.1:8470';
  return { url: url.replace(/\/+$/, ''), token: flags.token ?? env.WUWATCH_TOKEN };
}

/** Calls the API and returns the parsed JSON body; throws ApiError with the server's code on failure. */
export async function callApi<T = unknown>(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  if (!target.token && path !== '/v1/enroll') {
    throw new UsageError('no API token: pass --token or set WUWATCH_TOKEN (create one with "wuwatch token create")');
  }
  let res: Response;
  try {
    res = await fetch(target.url + path, {
      method,
      headers: {
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new ApiError(
      0,
      'WUW_UNREACHABLE',
      `cannot reach the collector at ${target.url} (${cause}); is "wuwatch serve" running? Set --url or WUWATCH_URL.`,
    );
  }
  const text = await res.text();
  const json = parseAnswer(target.url + path, res, text);
  if (!res.ok) {
    const e = (json ?? {}) as { code?: string; message?: string };
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText);
  }
  return json as T;
}

/** What an answer that is not JSON looks like, in a few words: its type and title or first text. */
function describeBody(res: Response, text: string): string {
  const type = (res.headers.get('content-type') ?? 'no content type').split(';')[0]!.trim();
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const first = (title ?? text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 60);
  return first ? `${type} ("${first}")` : type;
}

/** The JSON body, or null for an empty one; anything else (a proxy's HTML page) is an ApiError in one line. */
function parseAnswer(url: string, res: Response, text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    const e = makeError('API_ANSWER_INVALID', [url, res.status, describeBody(res, text)]);
    throw new ApiError(res.status, e.code, e.message);
  }
}
