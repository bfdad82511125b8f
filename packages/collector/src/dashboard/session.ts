/**
 * Dashboard sessions: the cookie holds only a random session id; the server keeps (in memory, by the id's hash)
 * which API token logged in — as its hash, so a revocation ends the session — and when the session expires.
 * Sessions do not survive a collector restart: operators log in again, which is acceptable for a dashboard.
 */
import { randomBytes } from 'node:crypto';
import { hashCredential } from '../auth/tokens.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'wuwatch_session';

/** One logged-in browser. */
export interface Session {
  /** SHA-256 hex of the API token used to log in (never the token itself). */
  tokenHash: string;
  createdAt: number;
  lastUsedAt: number;
}

/** Lifetimes of a session. */
export interface SessionLimits {
  /** Ends a session this long after login, used or not. */
  absoluteMs: number;
  /** Ends a session not used for this long. */
  idleMs: number;
  /** Most live sessions; the least recently used one is dropped beyond it. */
  max: number;
}

/** Defaults: a working day, one idle hour, plenty for a team. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { absoluteMs: 12 * 3_600_000, idleMs: 3_600_000, max: 10_000 };

/** In-memory session store. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS) {}

  /** Starts a session for a validated token hash; returns the id to put in the cookie. */
  create(tokenHash: string, now = Date.now()): string {
    this.prune(now);
    while (this.sessions.size >= this.limits.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(hashCredential(id), { tokenHash, createdAt: now, lastUsedAt: now });
    return id;
  }

  /** The live session for a cookie value (refreshing its idle timer), or null. */
  get(id: string, now = Date.now()): Session | null {
    const key = hashCredential(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    if (now - s.createdAt > this.limits.absoluteMs || now - s.lastUsedAt > this.limits.idleMs) {
      this.sessions.delete(key);
      return null;
    }
    s.lastUsedAt = now;
    // Re-insert so the Map's order stays least-recently-used first.
    this.sessions.delete(key);
    this.sessions.set(key, s);
    return s;
  }

  /** Ends a session (logout, or its token was revoked). */
  delete(id: string): void {
    this.sessions.delete(hashCredential(id));
  }

  /** Number of live sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Seconds a new session lives at most (the cookie's Max-Age). */
  get maxAgeSeconds(): number {
    return Math.floor(this.limits.absoluteMs / 1000);
  }

  private prune(now: number): void {
    for (const [key, s] of this.sessions) {
      if (now - s.createdAt > this.limits.absoluteMs || now - s.lastUsedAt > this.limits.idleMs) {
        this.sessions.delete(key);
      }
    }
  }
}

/** Attributes of the session cookie (for @fastify/cookie): HttpOnly, SameSite=Strict, Path=/, Secure over TLS. */
export function sessionCookieOptions(
  maxAgeSeconds: number,
  secure: boolean,
): { path: string; httpOnly: true; sameSite: 'strict'; maxAge: number; secure: boolean } {
  return { path: '/', httpOnly: true, sameSite: 'strict', maxAge: maxAgeSeconds, secure };
}
