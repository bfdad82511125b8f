-- Hand-added: trigram operators for the machines_hostname_trgm_idx GIN index (hostname ILIKE '%q%').
-- pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it; PGlite loads it at open.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateTable
CREATE TABLE "enrollment_secrets" (
    "id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "comment" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "enrollment_secrets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agents" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "token_prefix" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "enrolled_with" TEXT,
    "hostname_hint" TEXT,
    "last_acked_seq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "agents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "machines" (
    "id" TEXT NOT NULL DEFAULT (gen_random_uuid())::text,
    "agent_id" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "os_version" TEXT,
    "agent_version" TEXT,
    "mode" TEXT,
    "first_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_goodbye_at" TIMESTAMPTZ(3),
    "connected" BOOLEAN NOT NULL DEFAULT false,
    "policy" JSONB,
    "policy_assessment" JSONB,
    "wsus_url" TEXT,
    "last_probe" JSONB,
    "last_probe_at" TIMESTAMPTZ(3),
    "last_probe_ok" BOOLEAN,
    "probe_failing_since" TIMESTAMPTZ(3),
    "last_detection_at" TIMESTAMPTZ(3),
    "last_detection_outcome" TEXT,
    "last_detection_hresult" TEXT,
    "last_detection_source" TEXT,
    "consecutive_detection_failures" INTEGER NOT NULL DEFAULT 0,
    "last_success_detection_at" TIMESTAMPTZ(3),
    "first_failure_at" TIMESTAMPTZ(3),
    "last_wua" JSONB,
    "status" TEXT NOT NULL DEFAULT 'unknown',
    "status_reasons" JSONB NOT NULL DEFAULT '[]',
    "status_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "machines_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "agent_id" TEXT NOT NULL,
    "machine_id" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" TEXT NOT NULL,
    "data" JSONB NOT NULL,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wsus_servers" (
    "url" TEXT NOT NULL,
    "first_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_answer_at" TIMESTAMPTZ(3),
    "last_probe_at" TIMESTAMPTZ(3),
    "last_probe_class" TEXT,

    CONSTRAINT "wsus_servers_pkey" PRIMARY KEY ("url")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- Hand-added: Prisma cannot express CHECK constraints; the schema engine ignores them when diffing.
ALTER TABLE "machines" ADD CONSTRAINT "machines_status_check" CHECK ("status" IN ('healthy', 'wsus_unreachable', 'wsus_error', 'detect_failing', 'detect_stale', 'misconfigured', 'silent', 'unknown'));

-- CreateIndex
CREATE UNIQUE INDEX "enrollment_secrets_secret_hash_key" ON "enrollment_secrets"("secret_hash");

-- CreateIndex
CREATE UNIQUE INDEX "agents_token_hash_key" ON "agents"("token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "machines_agent_id_key" ON "machines"("agent_id");

-- CreateIndex
CREATE INDEX "machines_status_hostname_id_idx" ON "machines"("status", "hostname", "id");

-- CreateIndex
CREATE INDEX "machines_hostname_id_idx" ON "machines"("hostname", "id");

-- CreateIndex
CREATE INDEX "machines_wsus_url_idx" ON "machines"("wsus_url");

-- CreateIndex
CREATE INDEX "machines_hostname_trgm_idx" ON "machines" USING GIN ("hostname" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "events_machine_id_time_id_idx" ON "events"("machine_id", "time" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "events_machine_id_kind_time_idx" ON "events"("machine_id", "kind", "time" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "events_agent_id_seq_key" ON "events"("agent_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- AddForeignKey
ALTER TABLE "agents" ADD CONSTRAINT "agents_enrolled_with_fkey" FOREIGN KEY ("enrolled_with") REFERENCES "enrollment_secrets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "machines" ADD CONSTRAINT "machines_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_machine_id_fkey" FOREIGN KEY ("machine_id") REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE;
