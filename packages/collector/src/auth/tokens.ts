/**
 * Bearer tokens and secrets: random, shown once, stored only as SHA-256 hashes.
 * SHA-256 (not a slow KDF) is right here: tokens are 256-bit random values, not guessable passwords.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Kinds of credential, each with a recognisable prefix so a leaked one can be identified. */
export type CredentialKind = 'agent' | 'enroll' | 'api';

const PREFIX: Record<CredentialKind, string> = { agent: 'wwa_', enroll: 'wwe_', api: 'wwt_' };

/** A freshly generated credential: `value` is shown to the user once, `hash` is stored. */
export interface NewCredential {
  value: string;
  hash: string;
  prefix: string;
}

/** Generates a random credential of the given kind. */
export function generateCredential(kind: CredentialKind): NewCredential {
  const value = PREFIX[kind] + randomBytes(32).toString('base64url');
  return { value, hash: hashCredential(value), prefix: value.slice(0, PREFIX[kind].length + 6) };
}

/** SHA-256 hex of a credential, as stored in the database. */
export function hashCredential(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes. */
export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Extracts the token from an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** Generates an id with a readable prefix, e.g. `agt_3f9c…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}
