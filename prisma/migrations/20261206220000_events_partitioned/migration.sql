-- Hand-written: schema.prisma cannot express partitioning (see README "Retention and sizing").
-- "events" becomes a table partitioned by RANGE (received_at), one partition per UTC day, so retention drops whole
-- partitions (no DELETE, no bloat, no long lock). received_at, not "time": it is set by the collector, so a hostile
-- or broken agent clock cannot place rows in a partition that is never dropped, and it is what bounds storage.
-- The existing table is attached in place as the partition "events_legacy" (everything received up to the end of
-- the migration's UTC day): no copy; the collector's retention drops it whole once its newest row is past the window
-- and trims its older rows in small batches before then. "events_default" catches rows no daily partition covers
-- (maintenance not run for longer than it creates ahead); maintenance moves them into a partition.

ALTER TABLE "events" RENAME TO "events_legacy";
ALTER TABLE "events_legacy" RENAME CONSTRAINT "events_pkey" TO "events_legacy_pkey";
ALTER TABLE "events_legacy" RENAME CONSTRAINT "events_agent_id_fkey" TO "events_legacy_agent_id_fkey";
ALTER TABLE "events_legacy" RENAME CONSTRAINT "events_machine_id_fkey" TO "events_legacy_machine_id_fkey";
ALTER INDEX "events_agent_id_seq_key" RENAME TO "events_legacy_agent_id_seq_key";
ALTER INDEX "events_machine_id_time_id_idx" RENAME TO "events_legacy_machine_id_time_id_idx";
ALTER INDEX "events_machine_id_kind_time_idx" RENAME TO "events_legacy_machine_id_kind_time_idx";

CREATE TABLE "events" (
    "id" BIGINT NOT NULL DEFAULT nextval('events_id_seq'),
    "agent_id" TEXT NOT NULL,
    "machine_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "data" JSONB NOT NULL,

    -- A unique index on a partitioned table must contain the partition key, so (agent_id, seq) cannot be UNIQUE
    -- here: duplicates are refused by the ingest writer (only seq > agents.last_acked_seq, under the agent's row
    -- lock, and every stored seq is <= last_acked_seq) and by insertEvents (NOT EXISTS in the current partitions).
    CONSTRAINT "events_pkey" PRIMARY KEY ("id", "received_at")
) PARTITION BY RANGE ("received_at");

-- The sequence belonged to the old table's column; dropping events_legacy later must not drop it.
ALTER SEQUENCE "events_id_seq" OWNED BY "events"."id";

CREATE INDEX "events_machine_id_time_id_idx" ON "events"("machine_id", "time" DESC, "id" DESC);
CREATE INDEX "events_machine_id_kind_time_idx" ON "events"("machine_id", "kind", "time" DESC);
CREATE INDEX "events_agent_id_seq_idx" ON "events"("agent_id", "seq");

ALTER TABLE "events" ADD CONSTRAINT "events_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "events" ADD CONSTRAINT "events_machine_id_fkey" FOREIGN KEY ("machine_id") REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A partition has the parent's primary key (id, received_at) and indexes; ATTACH builds what is missing on the old
-- table. Its own primary key (id) and unique (agent_id, seq) would be a second, conflicting set.
ALTER TABLE "events_legacy" DROP CONSTRAINT "events_legacy_pkey";
DROP INDEX "events_legacy_agent_id_seq_key";

DO $$
DECLARE
  day0 timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  d timestamptz;
BEGIN
  EXECUTE format('ALTER TABLE "events" ATTACH PARTITION "events_legacy" FOR VALUES FROM (MINVALUE) TO (%L)',
    day0 + interval '1 day');
  -- Seven days ahead; from then on the collector's partition maintenance keeps creating them.
  FOR i IN 1..7 LOOP
    d := day0 + make_interval(days => i);
    EXECUTE format('CREATE TABLE %I PARTITION OF "events" FOR VALUES FROM (%L) TO (%L)',
      'events_p' || to_char(d AT TIME ZONE 'UTC', 'YYYYMMDD'), d, d + interval '1 day');
  END LOOP;
END $$;

CREATE TABLE "events_default" PARTITION OF "events" DEFAULT;
