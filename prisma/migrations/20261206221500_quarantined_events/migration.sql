-- CreateTable
CREATE TABLE "quarantined_events" (
    "id" BIGSERIAL NOT NULL,
    "agent_id" TEXT NOT NULL,
    "machine_id" TEXT,
    "seq" BIGINT NOT NULL,
    "kind" TEXT,
    "class" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "raw" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "quarantined_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "quarantined_events_received_at_idx" ON "quarantined_events"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "quarantined_events_agent_id_seq_key" ON "quarantined_events"("agent_id", "seq");
