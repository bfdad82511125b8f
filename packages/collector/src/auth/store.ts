/**
 * Credentials in the database: enrollment secrets, agent tokens, API tokens. Only hashes are stored. Raw SQL through
 * the Queryable like every other store in the collector (see ARCHITECTURE.md, "Data access").
 */
import { makeError } from '@wuwatch/core';
import type { Database } from '../db/index.js';
import { generateCredential, hashCredential, hashesEqual, newId } from './tokens.js';

/** A credential as listed to operators (never the secret itself). */
export interface CredentialListing {
  id: string;
  prefix: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
  expiresAt?: string | null;
  lastUsedAt?: string | null;
  /** API tokens: what the token may do. */
  scope?: ApiScope;
  /** Enrollment secrets: agents enrolled with it, and how many may (null: no limit). */
  uses?: number;
  maxUses?: number | null;
}

/** What an API token may do: `read` (GET and HEAD only) or `admin` (everything). */
export const API_SCOPES = ['read', 'admin'] as const;
/** See {@link API_SCOPES}. */
export type ApiScope = (typeof API_SCOPES)[number];

function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

/** Credential operations over the database. */
export class AuthStore {
  constructor(
    private readonly db: Database,
    private readonly adminToken?: string,
  ) {}

  /** Creates an enrollment secret; the value is returned once. */
  async createEnrollSecret(
    comment: string | null,
    expiresAt: Date | null,
    maxUses: number | null = null,
  ): Promise<{ id: string; secret: string }> {
    const c = generateCredential('enroll');
    const id = newId('ens');
    await this.db.query(
      'INSERT INTO enrollment_secrets (id, secret_hash, prefix, comment, expires_at, max_uses) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, c.hash, c.prefix, comment, expiresAt, maxUses],
    );
    return { id, secret: c.value };
  }

  /** Lists enrollment secrets, newest first. */
  async listEnrollSecrets(): Promise<CredentialListing[]> {
    const { rows } = await this.db.query<{
      id: string;
      prefix: string;
      comment: string | null;
      created_at: Date;
      revoked_at: Date | null;
      expires_at: Date | null;
      uses: number;
      max_uses: number | null;
    }>(
      `SELECT id, prefix, comment, created_at, revoked_at, expires_at, uses, max_uses
       FROM enrollment_secrets ORDER BY created_at DESC`,
    );
    return rows.map((r) => ({
      id: r.id,
      prefix: r.prefix,
      label: r.comment,
      createdAt: r.created_at.toISOString(),
      revokedAt: iso(r.revoked_at),
      expiresAt: iso(r.expires_at),
      uses: r.uses,
      maxUses: r.max_uses,
    }));
  }

  /** Revokes an enrollment secret; agents already enrolled with it keep their tokens. */
  async revokeEnrollSecret(id: string): Promise<void> {
    const n = await this.revoke('enrollment_secrets', id);
    if (n === 0) throw makeError('NOT_FOUND', [`Active enrollment secret ${id}`]);
  }

  /** Exchanges a valid enrollment secret for a new agent id and token (the token is returned once). */
  async enroll(secret: string, hostnameHint: string | null): Promise<{ agentId: string; token: string }> {
    // One statement checks and counts the use, so concurrent enrollments cannot exceed max_uses.
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE enrollment_secrets SET uses = uses + 1
       WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         AND (max_uses IS NULL OR uses < max_uses)
       RETURNING id`,
      [hashCredential(secret)],
    );
    const row = rows[0];
    if (!row) throw makeError('ENROLL_SECRET_INVALID');
    const c = generateCredential('agent');
    const agentId = newId('agt');
    await this.db.query(
      'INSERT INTO agents (id, token_hash, token_prefix, enrolled_with, hostname_hint) VALUES ($1, $2, $3, $4, $5)',
      [agentId, c.hash, c.prefix, row.id, hostnameHint],
    );
    return { agentId, token: c.value };
  }

  /** Returns the agent id for a valid, unrevoked agent token, or null. */
  async authenticateAgent(token: string): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string }>(
      'SELECT id FROM agents WHERE token_hash = $1 AND revoked_at IS NULL',
      [hashCredential(token)],
    );
    return rows[0]?.id ?? null;
  }

  /** Lists agents and their credential state. */
  async listAgents(): Promise<CredentialListing[]> {
    const { rows } = await this.db.query<{
      id: string;
      token_prefix: string;
      hostname_hint: string | null;
      created_at: Date;
      revoked_at: Date | null;
    }>('SELECT id, token_prefix, hostname_hint, created_at, revoked_at FROM agents ORDER BY created_at DESC');
    return rows.map((r) => ({
      id: r.id,
      prefix: r.token_prefix,
      label: r.hostname_hint,
      createdAt: r.created_at.toISOString(),
      revokedAt: iso(r.revoked_at),
    }));
  }

  /** Revokes an agent's token; the caller closes its live connection. */
  async revokeAgent(id: string): Promise<void> {
    const n = await this.revoke('agents', id);
    if (n === 0) throw makeError('NOT_FOUND', [`Active agent ${id}`]);
  }

  /** Creates an API token (read-only unless `scope` says admin); the value is returned once. */
  async createApiToken(
    name: string,
    scope: ApiScope = 'read',
  ): Promise<{ id: string; token: string; scope: ApiScope }> {
    const c = generateCredential('api');
    const id = newId('tok');
    await this.db.query('INSERT INTO api_tokens (id, token_hash, prefix, name, scope) VALUES ($1, $2, $3, $4, $5)', [
      id,
      c.hash,
      c.prefix,
      name,
      scope,
    ]);
    return { id, token: c.value, scope };
  }

  /** Lists API tokens, newest first. */
  async listApiTokens(): Promise<CredentialListing[]> {
    const { rows } = await this.db.query<{
      id: string;
      prefix: string;
      name: string;
      created_at: Date;
      revoked_at: Date | null;
      last_used_at: Date | null;
      scope: ApiScope;
    }>('SELECT id, prefix, name, created_at, revoked_at, last_used_at, scope FROM api_tokens ORDER BY created_at DESC');
    return rows.map((r) => ({
      id: r.id,
      prefix: r.prefix,
      label: r.name,
      createdAt: r.created_at.toISOString(),
      revokedAt: iso(r.revoked_at),
      lastUsedAt: iso(r.last_used_at),
      scope: r.scope,
    }));
  }

  /** Revokes an API token. */
  async revokeApiToken(id: string): Promise<void> {
    const n = await this.revoke('api_tokens', id);
    if (n === 0) throw makeError('NOT_FOUND', [`Active API token ${id}`]);
  }

  /** True for the configured admin token or a valid, unrevoked API token. */
  async authenticateApi(token: string): Promise<boolean> {
    return (await this.apiScope(token)) !== null;
  }

  /** The scope of the configured admin token (admin) or of a valid, unrevoked API token; null for anything else. */
  async apiScope(token: string): Promise<ApiScope | null> {
    if (this.adminToken && hashesEqual(hashCredential(token), hashCredential(this.adminToken))) return 'admin';
    const { rows } = await this.db.query<{ scope: ApiScope }>(
      'UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING scope',
      [hashCredential(token)],
    );
    return rows[0]?.scope ?? null;
  }

  /**
   * True when the API token with this hash has been revoked. Tokens are revoked, never deleted, so "no row" means the
   * configured admin token (which only a restart can change, and a restart ends every dashboard session).
   */
  async apiTokenRevoked(tokenHash: string): Promise<boolean> {
    const { rows } = await this.db.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    return rows[0]?.revoked === true;
  }

  /** Marks an unrevoked credential revoked; returns how many rows changed (0: unknown or already revoked). */
  private async revoke(table: 'enrollment_secrets' | 'agents' | 'api_tokens', id: string): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE ${table} SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return rowCount;
  }
}
