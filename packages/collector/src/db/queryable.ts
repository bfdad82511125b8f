import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { PGlite, Transaction } from '@electric-sql/pglite';

/** Rows and row count of one statement (rowCount: rows affected by DML, rows returned by SELECT). */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * The raw-SQL surface shared by both backends and by transactions. Values come back as `pg` returns them on either
 * backend: int8 and numeric as strings, timestamptz as Date, json/jsonb parsed.
 */
export interface Queryable {
  readonly kind: 'postgres' | 'pglite';
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * PostgreSQL transactions only: streams `chunks` (COPY text format) into `COPY … FROM STDIN`.
   * Absent on PGlite and outside a transaction, so callers fall back to set-based INSERTs.
   */
  copyFrom?(copySql: string, chunks: Iterable<string>): Promise<void>;
}

type PgClientLike = pg.Pool | pg.PoolClient;

/** Wraps a pg pool (autocommit statements) or a checked-out client; `withCopy` only for a client in a transaction. */
export function pgQueryable(client: PgClientLike, withCopy: boolean): Queryable {
  const q: Queryable = {
    kind: 'postgres',
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await client.query(sql, params as unknown[] | undefined);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
  };
  if (withCopy) {
    q.copyFrom = async (copySql, chunks) => {
      const stream = (client as pg.PoolClient).query(copyFromStdin(copySql));
      await pipeline(Readable.from(chunks), stream);
    };
  }
  return q;
}

const INT8_OID = 20;
/** PGlite parses int8 as a JS number (silently losing precision past 2^53); pg returns strings. Match pg. */
const PGLITE_PARSERS = { [INT8_OID]: (value: string) => value };

/** Wraps a PGlite instance or one of its transactions. */
export function pgliteQueryable(db: PGlite | Transaction): Queryable {
  return {
    kind: 'pglite',
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await db.query<R>(sql, params as unknown[] | undefined, { parsers: PGLITE_PARSERS });
      // PGlite reports affectedRows only for DML; pg's rowCount is the row count for SELECT too.
      return { rows: res.rows, rowCount: res.affectedRows || res.rows.length };
    },
  };
}
