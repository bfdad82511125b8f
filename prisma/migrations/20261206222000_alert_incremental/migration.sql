-- Incremental alert evaluation: where the last evaluation left off (one row), and the indexes that find the machines
-- whose facts changed (updated_at) or whose time-driven rules fall due (silent: last_seen; stale:
-- last_success_detection_at, else first_seen; WSUS unreachable: probe_failing_since) without reading the fleet.

-- CreateTable
CREATE TABLE "alert_evaluator_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL,
    "data_watermark" TIMESTAMPTZ(3),
    "full_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "alert_evaluator_state_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "machines_updated_at_idx" ON "machines"("updated_at");

-- CreateIndex
CREATE INDEX "machines_last_seen_idx" ON "machines"("last_seen");

-- CreateIndex
CREATE INDEX "machines_last_success_detection_at_idx" ON "machines"("last_success_detection_at");

-- CreateIndex
CREATE INDEX "machines_first_seen_idx" ON "machines"("first_seen");

-- CreateIndex
CREATE INDEX "machines_probe_failing_since_idx" ON "machines"("probe_failing_since");
