import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import test from 'ava';
import { pino } from 'pino';
import { openDatabase, type Database } from '../src/db/database.js';
import { COPY_THRESHOLD, insertEvents, toJsonbText, type EventRow } from '../src/db/events.js';
import { createTestDatabase, type TestDatabase } from './helpers/db.js';

type Backend = 'postgres' | 'pglite';

interface LogLine {
  level: number;
  msg: string;
  database?: string;
}
const pgliteLog: LogLine[] = [];
let pgDb: Promise<TestDatabase>;
let pgliteDb: Promise<Database>;
let pgliteDir: string;

test.before(async () => {
  pgDb = createTestDatabase();
  // PGlite's initdb runs synchronously on this thread for seconds; started while the PostgreSQL migration waits for
  // its advisory lock, it can outlast the schema engine's 10 s lock timeout on a loaded machine. One after the other.
  await pgDb.catch(() => undefined);
  pgliteDir = await mkdtemp(join(tmpdir(), 'wuwatch-pglite-db-'));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      pgliteLog.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  // One PGlite per file: each initdb costs seconds and hundreds of MB.
  pgliteDb = openDatabase({ dataDir: pgliteDir, log: pino({ level: 'info' }, sink) });
});

test.after.always(async () => {
  await (await pgDb.catch(() => undefined))?.drop();
  await (await pgliteDb.catch(() => undefined))?.close();
  await rm(pgliteDir, { recursive: true, force: true });
});

async function open(backend: Backend): Promise<Database> {
  return backend === 'postgres' ? (await pgDb).db : pgliteDb;
}

/** Creates an agent and its machine through Prisma; every test uses its own so tests can run concurrently. */
async function seedMachine(db: Database): Promise<{ agentId: string; machineId: string }> {
  const agentId = `agt_${randomUUID().slice(0, 8)}`;
  const agent = await db.prisma.agent.create({
    data: {
      id: agentId,
      tokenHash: createHash('sha256').update(agentId).digest('hex'),
      tokenPrefix: agentId.slice(0, 8),
      machine: { create: { hostname: `HOST-${agentId}` } },
    },
    include: { machine: true },
  });
  if (!agent.machine) throw new Error('machine not created');
  return { agentId, machineId: agent.machine.id };
}

function events(agentId: string, machineId: string, seqs: number[], data: (seq: number) => unknown = (s) => ({ s })) {
  return seqs.map((seq): EventRow => ({
    agentId,
    machineId,
    seq: BigInt(seq),
    time: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, seq)),
    kind: 'detection',
    data: data(seq),
  }));
}

async function countEvents(db: Database, agentId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE agent_id = $1', [agentId]);
  return Number(rows[0]?.n);
}

for (const backend of ['postgres', 'pglite'] as const) {
  test(`${backend}: insertEvents inserts set-based and skips (agent_id, seq) already stored or repeated`, async (t) => {
    const db = await open(backend);
    const { agentId, machineId } = await seedMachine(db);
    t.is(await db.withTransaction((q) => insertEvents(q, events(agentId, machineId, [1, 2, 3]))), 3);
    const again = events(agentId, machineId, [2, 3, 4, 4, 5]);
    t.is(await db.withTransaction((q) => insertEvents(q, again)), 2, 'only 4 and 5 are new, 4 once');
    t.is(await db.withTransaction((q) => insertEvents(q, [])), 0);
    t.is(await countEvents(db, agentId), 5);
  });

  test(`${backend}: a transaction that throws leaves nothing behind`, async (t) => {
    const db = await open(backend);
    const { agentId, machineId } = await seedMachine(db);
    await t.throwsAsync(
      db.withTransaction(async (q) => {
        t.is(await insertEvents(q, events(agentId, machineId, [1, 2])), 2);
        await q.query('UPDATE agents SET last_acked_seq = 2 WHERE id = $1', [agentId]);
        throw new Error('boom');
      }),
      { message: 'boom' },
    );
    t.is(await countEvents(db, agentId), 0);
    const agent = await db.prisma.agent.findUniqueOrThrow({ where: { id: agentId } });
    t.is(agent.lastAckedSeq, 0n);
  });

  test(`${backend}: Prisma CRUD, JSON and BigInt round-trip, raw rows shaped like pg`, async (t) => {
    const db = await open(backend);
    const { agentId, machineId } = await seedMachine(db);
    const policy = { wuServer: 'http://wsus.example:8530', useWuServer: true, nested: { list: [1, 'two'] } };
    const updated = await db.prisma.machine.update({
      where: { id: machineId },
      data: { status: 'wsus_unreachable', policy, wsusUrl: 'http://wsus.example:8530', connected: true },
    });
    t.deepEqual(updated.policy, policy);
    t.deepEqual(updated.statusReasons, []);
    t.regex(machineId, /^[0-9a-f-]{36}$/, 'database-generated uuid text id');
    await db.prisma.agent.update({ where: { id: agentId }, data: { lastAckedSeq: 9_007_199_254_740_993n } });
    const found = await db.prisma.machine.findFirstOrThrow({
      where: { status: 'wsus_unreachable', hostname: { contains: agentId.slice(4), mode: 'insensitive' } },
      include: { agent: true },
    });
    t.is(found.id, machineId);
    t.is(found.agent.lastAckedSeq, 9_007_199_254_740_993n);

    // Raw SQL: int8 comes back as a string on both backends (exact beyond 2^53), timestamptz as Date, jsonb parsed.
    const raw = await db.query<{ seq: string; first_seen: Date; policy: unknown; connected: boolean }>(
      `SELECT a.last_acked_seq AS seq, m.first_seen, m.policy, m.connected
       FROM machines m JOIN agents a ON a.id = m.agent_id WHERE m.id = $1`,
      [machineId],
    );
    t.is(raw.rowCount, 1);
    t.is(raw.rows[0]?.seq, '9007199254740993');
    t.true(raw.rows[0]?.first_seen instanceof Date);
    t.deepEqual(raw.rows[0]?.policy, policy);
    t.is(raw.rows[0]?.connected, true);

    // The status CHECK constraint rejects values outside the catalogue.
    await t.throwsAsync(db.query(`UPDATE machines SET status = 'on_fire' WHERE id = $1`, [machineId]));

    await db.prisma.agent.delete({ where: { id: agentId } });
    t.is(await db.prisma.machine.count({ where: { id: machineId } }), 0, 'deleting the agent cascades');
  });

  test(`${backend}: event data survives escaping (COPY-sized batches on PostgreSQL)`, async (t) => {
    const db = await open(backend);
    const { agentId, machineId } = await seedMachine(db);
    const tricky = (seq: number) => ({
      seq,
      text: `tab\there\nnew line \\ backslash "quotes" 'single' {braces},comma; é ✓ 🚀`,
      nul: 'before\u0000after',
      literal: 'not a nul: \\u0000',
    });
    const n = backend === 'postgres' ? COPY_THRESHOLD + 10 : 50;
    const seqs = Array.from({ length: n }, (_, i) => i + 1);
    let copies = 0;
    const inserted = await db.withTransaction((q) => {
      const copyFrom = q.copyFrom;
      t.is(copyFrom !== undefined, backend === 'postgres', 'COPY only inside PostgreSQL transactions');
      const spied = copyFrom
        ? { ...q, copyFrom: (sql: string, chunks: Iterable<string>) => (copies++, copyFrom(sql, chunks)) }
        : q;
      return insertEvents(spied, events(agentId, machineId, seqs, tricky));
    });
    t.is(inserted, n);
    t.is(copies, backend === 'postgres' ? 1 : 0);
    t.is(await db.withTransaction((q) => insertEvents(q, events(agentId, machineId, seqs, tricky))), 0);
    const { rows } = await db.query<{ seq: string; time: Date; data: unknown }>(
      'SELECT seq, "time", data FROM events WHERE agent_id = $1 AND seq = 7',
      [agentId],
    );
    t.is(rows[0]?.seq, '7');
    t.is(rows[0]?.time.toISOString(), '2026-11-25T12:00:00.007Z');
    t.deepEqual(rows[0]?.data, { ...tricky(7), nul: 'before\ufffdafter' });
  });
}

test('pglite: open logs the backend and warns that production wants PostgreSQL; data lives under <dataDir>/pglite', async (t) => {
  const db = await pgliteDb;
  t.is(db.kind, 'pglite');
  t.is(db.pool, null);
  t.true(db.description.endsWith(join(pgliteDir, 'pglite')));
  t.true(db.appliedMigrations.length >= 1);
  t.true(pgliteLog.some((l) => l.level === 30 && l.database === 'pglite'));
  t.true(pgliteLog.some((l) => l.level === 40 && /production wants PostgreSQL/.test(l.msg)));
});

test('postgres: the pool is exposed for set-based SQL and the description hides credentials', async (t) => {
  const { db, url } = await pgDb;
  t.is(db.kind, 'postgres');
  t.truthy(db.pool);
  t.is(db.description, `PostgreSQL ${new URL(url).host}${new URL(url).pathname}`);
  const { rows } = await db.pool!.query<{ one: number }>('SELECT 1 AS one');
  t.deepEqual(rows, [{ one: 1 }]);

  // A second open of the same database with migrate: false logs the backend and server version, applies nothing.
  const lines: (LogLine & { version?: string })[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  const again = await openDatabase({ databaseUrl: url, dataDir: 'unused', log: pino(sink), migrate: false });
  t.teardown(() => again.close());
  t.deepEqual(again.appliedMigrations, []);
  t.true(lines.some((l) => l.database === 'postgresql' && /^\d+/.test(l.version ?? '')));
  t.false(
    lines.some((l) => l.level >= 40),
    'no warning for PostgreSQL',
  );
});

test('toJsonbText replaces real NUL escapes only', (t) => {
  t.is(toJsonbText({ a: 'x\u0000y' }), '{"a":"x\\ufffdy"}');
  t.is(toJsonbText({ a: 'x\\u0000y' }), '{"a":"x\\\\u0000y"}');
  t.is(toJsonbText({ a: 'x\\\u0000y' }), '{"a":"x\\\\\\ufffdy"}');
  t.is(toJsonbText(undefined), 'null');
});
