-- Rollups that outlive raw events: the per-day detection timeline of a machine (written with each event insert) and
-- the fleet's machines-per-status samples the dashboard charts (written by the collector's sampler). Retention
-- prunes them on their own, longer window (retention.rollupDays).

-- CreateTable
CREATE TABLE "detection_days" (
    "machine_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "hresults" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "detection_days_pkey" PRIMARY KEY ("machine_id","day")
);

-- CreateTable
CREATE TABLE "status_samples" (
    "at" TIMESTAMPTZ(3) NOT NULL,
    "by_status" JSONB NOT NULL,

    CONSTRAINT "status_samples_pkey" PRIMARY KEY ("at")
);

-- CreateIndex
CREATE INDEX "detection_days_day_idx" ON "detection_days"("day");

-- AddForeignKey
ALTER TABLE "detection_days" ADD CONSTRAINT "detection_days_machine_id_fkey" FOREIGN KEY ("machine_id") REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-added: backfill the timeline from the events kept so far (UTC days, as the timeline has always counted).
INSERT INTO "detection_days" ("machine_id", "day", "succeeded", "failed", "hresults")
SELECT machine_id, ("time" AT TIME ZONE 'UTC')::date,
       count(*) FILTER (WHERE data->>'outcome' = 'succeeded')::int,
       count(*) FILTER (WHERE data->>'outcome' = 'failed')::int,
       array_remove(array_agg(DISTINCT data->>'hresult'), NULL)
FROM "events" WHERE kind = 'detection' AND "time" <= now() + interval '1 day'
GROUP BY 1, 2;
