import {
  ColumnTypeEnum,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';

/** OID of the internal one-byte catalog type `"char"` (pg_constraint.contype, pg_class.relkind, …). */
const CHAR_OID = 18;
/** OID of `text`, which @prisma/adapter-pg accepts. */
const TEXT_OID = 25;

/** The adapter-pg internals this patch wraps (present on PrismaPgAdapter and PgTransaction). */
interface PgQueryableInternals {
  performIO(query: SqlQuery): Promise<{ fields: { dataTypeID: number }[] }>;
  queryRaw(query: SqlQuery): Promise<SqlResultSet>;
}

function patchQueryable(target: PgQueryableInternals): void {
  // Both are called with the target as `this` (.call below), so taking them off the object is safe.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { performIO, queryRaw } = target;
  target.queryRaw = async function (this: PgQueryableInternals, query: SqlQuery) {
    const result = await performIO.call(this, query);
    const charColumns: number[] = [];
    result.fields.forEach((field, i) => {
      if (field.dataTypeID !== CHAR_OID) return;
      field.dataTypeID = TEXT_OID;
      charColumns.push(i);
    });
    // Let adapter-pg build the result set from the rows already fetched, then restore the real column type.
    const view = Object.create(this, { performIO: { value: () => Promise.resolve(result) } }) as PgQueryableInternals;
    const out = await queryRaw.call(view, query);
    for (const i of charColumns) out.columnTypes[i] = ColumnTypeEnum.Character;
    return out;
  };
}

/**
 * Teaches @prisma/adapter-pg 7.10 the catalog type `"char"` (OID 18), which it rejects with "Column type 'char'
 * could not be deserialized from the database" (prisma/orm#27403), for every adapter and transaction `factory` makes.
 * The schema engine reads such columns as characters: stack.md's patch (report them as text) applies migrations but
 * makes the engine panic when it describes a CHECK constraint, so they are reported as ColumnType Character, as
 * pglite-prisma-adapter does. Only the schema engine's adapters get this; the app's pg pool is untouched.
 */
export function withPgCharSupport<F extends SqlMigrationAwareDriverAdapterFactory>(factory: F): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    patchQueryable(adapter as unknown as PgQueryableInternals);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const tx = await startTransaction(isolationLevel);
      patchQueryable(tx as unknown as PgQueryableInternals);
      return tx;
    };
    return adapter;
  };
  return factory;
}
