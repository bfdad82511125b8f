-- AlterTable
ALTER TABLE "machines" ADD COLUMN     "last_install_at" TIMESTAMPTZ(3);

-- The newest install each machine lists (collector machines/installs.ts lastInstall), so GET /v1/installs reads
-- machines newest install first through the index below instead of expanding every machine. Filled before the index
-- is built; a time that is not ISO text (never written by the collector) is skipped, as lastInstall skips it.
UPDATE "machines" m SET "last_install_at" = t.at
FROM (
  SELECT id, max((r.value->>'at')::timestamptz) AS at
  FROM "machines" CROSS JOIN LATERAL jsonb_array_elements("installs"->'recent') r
  WHERE r.value->>'at' ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$'
  GROUP BY id
) t
WHERE m.id = t.id;

-- CreateIndex
CREATE INDEX "machines_last_install_at_idx" ON "machines"("last_install_at");
