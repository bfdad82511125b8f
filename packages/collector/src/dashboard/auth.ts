/** Who may see the dashboard: a browser with a live session, or a script with `Authorization: Bearer`. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStore } from '../auth/store.js';
import { bearerToken } from '../auth/tokens.js';
import { href } from './html.js';
import { errorPage } from './pages/error.js';
import { SESSION_COOKIE, type SessionStore } from './session.js';

/** The `Content-Type` of every page. */
export const HTML_TYPE = 'text/html; charset=utf-8';

/** What the guard needs. */
export interface GuardDeps {
  auth: AuthStore;
  sessions: SessionStore;
}

/** A local path to return to after login; anything else (absolute, protocol-relative, odd) becomes `/`. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/';
  if (!/^\/(?![/\\])/.test(next) || /[\s\\]/.test(next) || next.startsWith('/login')) return '/';
  // Control or non-ASCII characters would make an invalid Location header.
  for (let i = 0; i < next.length; i++) if (next.charCodeAt(i) < 0x21 || next.charCodeAt(i) > 0x7e) return '/';
  return next;
}

/** The session id of a request's cookie (parsed by @fastify/cookie), or null. */
export function sessionId(req: FastifyRequest): string | null {
  return req.cookies[SESSION_COOKIE] ?? null;
}

/** True when the request carries a live session whose token is still valid (ends the session otherwise). */
export async function hasLiveSession(req: FastifyRequest, deps: GuardDeps): Promise<boolean> {
  const id = sessionId(req);
  const s = id ? deps.sessions.get(id) : null;
  if (!id || !s) return false;
  if (await deps.auth.apiTokenRevoked(s.tokenHash)) {
    deps.sessions.delete(id);
    return false;
  }
  return true;
}

/** An onRequest hook: lets a live session or a valid bearer token through, sends browsers to the login page. */
export function requireViewer(deps: GuardDeps) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const bearer = bearerToken(req.headers.authorization);
    if (bearer) {
      if (await deps.auth.authenticateApi(bearer)) return undefined;
      const body = errorPage(401, 'The bearer token is unknown or revoked.', new Date(), false);
      return reply.code(401).type(HTML_TYPE).send(body.value);
    }
    if (await hasLiveSession(req, deps)) return undefined;
    return reply.redirect(href('/login', { next: req.url === '/' ? undefined : req.url }), 303);
  };
}

/**
 * An onRequest hook against login CSRF (issue 14): a page on another site must not be able to post the login form
 * and sign the victim's browser into the attacker's session. Browsers say where a POST comes from (Sec-Fetch-Site,
 * Origin); a cross-site one is refused. Clients that send neither (curl, scripts) are not browsers and pass.
 */
export async function sameOriginOnly(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  let cross = false;
  // Sec-Fetch-Site is the browser's own verdict (every current browser sends it). Origin is only a fallback: under
  // the dashboard's Referrer-Policy no-referrer a same-origin form post carries `Origin: null`.
  if (typeof site === 'string') cross = site !== 'same-origin' && site !== 'none';
  else if (typeof origin === 'string' && origin !== 'null') {
    try {
      cross = new URL(origin).host !== req.headers.host;
    } catch {
      cross = true;
    }
  }
  if (!cross) return undefined;
  req.log.warn({ ip: req.ip, origin, site }, 'dashboard login refused: posted from another site');
  const body = errorPage(403, 'The login form was posted from another site.', new Date(), false);
  return reply.code(403).type(HTML_TYPE).send(body.value);
}
