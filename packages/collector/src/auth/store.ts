/** Credentials in the database: enrollment secrets, agent tokens, API tokens. Only hashes are stored. */
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
}

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
  async createEnrollSecret(comment: string | null, expiresAt: Date | null): Promise<{ id: string; secret: string }> {
    const c = generateCredential('enroll');
    const id = newId('ens');
    await this.db.prisma.enrollmentSecret.create({
      data: { id, secretHash: c.hash, prefix: c.prefix, comment, expiresAt },
    });
    return { id, secret: c.value };
  }

  /** Lists enrollment secrets, newest first. */
  async listEnrollSecrets(): Promise<CredentialListing[]> {
    const rows = await this.db.prisma.enrollmentSecret.findMany({ orderBy: { createdAt: 'desc' } });
    return rows.map((r) => ({
      id: r.id,
      prefix: r.prefix,
      label: r.comment,
      createdAt: r.createdAt.toISOString(),
      revokedAt: iso(r.revokedAt),
      expiresAt: iso(r.expiresAt),
    }));
  }

  /** Revokes an enrollment secret; agents already enrolled with it keep their tokens. */
  async revokeEnrollSecret(id: string): Promise<void> {
    const n = await this.db.prisma.enrollmentSecret.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (n.count === 0) throw makeError('NOT_FOUND', [`Active enrollment secret ${id}`]);
  }

  /** Exchanges a valid enrollment secret for a new agent id and token (the token is returned once). */
  async enroll(secret: string, hostnameHint: string | null): Promise<{ agentId: string; token: string }> {
    const row = await this.db.prisma.enrollmentSecret.findUnique({ where: { secretHash: hashCredential(secret) } });
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() < Date.now())) {
      throw makeError('ENROLL_SECRET_INVALID');
    }
    const c = generateCredential('agent');
    const agentId = newId('agt');
    await this.db.prisma.agent.create({
      data: { id: agentId, tokenHash: c.hash, tokenPrefix: c.prefix, enrolledWith: row.id, hostnameHint },
    });
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
    const rows = await this.db.prisma.agent.findMany({ orderBy: { createdAt: 'desc' } });
    return rows.map((r) => ({
      id: r.id,
      prefix: r.tokenPrefix,
      label: r.hostnameHint,
      createdAt: r.createdAt.toISOString(),
      revokedAt: iso(r.revokedAt),
    }));
  }

  /** Revokes an agent's token; the caller closes its live connection. */
  async revokeAgent(id: string): Promise<void> {
    const n = await this.db.prisma.agent.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (n.count === 0) throw makeError('NOT_FOUND', [`Active agent ${id}`]);
  }

  /** Creates an API token; the value is returned once. */
  async createApiToken(name: string): Promise<{ id: string; token: string }> {
    const c = generateCredential('api');
    const id = newId('tok');
    await this.db.prisma.apiToken.create({ data: { id, tokenHash: c.hash, prefix: c.prefix, name } });
    return { id, token: c.value };
  }

  /** Lists API tokens, newest first. */
  async listApiTokens(): Promise<CredentialListing[]> {
    const rows = await this.db.prisma.apiToken.findMany({ orderBy: { createdAt: 'desc' } });
    return rows.map((r) => ({
      id: r.id,
      prefix: r.prefix,
      label: r.name,
      createdAt: r.createdAt.toISOString(),
      revokedAt: iso(r.revokedAt),
      lastUsedAt: iso(r.lastUsedAt),
    }));
  }

  /** Revokes an API token. */
  async revokeApiToken(id: string): Promise<void> {
    const n = await this.db.prisma.apiToken.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (n.count === 0) throw makeError('NOT_FOUND', [`Active API token ${id}`]);
  }

  /** True for the configured admin token or a valid, unrevoked API token. */
  async authenticateApi(token: string): Promise<boolean> {
    if (this.adminToken && hashesEqual(hashCredential(token), hashCredential(this.adminToken))) return true;
    const { rows } = await this.db.query<{ id: string }>(
      'UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id',
      [hashCredential(token)],
    );
    return rows.length > 0;
  }
}
