-- AlterTable
ALTER TABLE "machines" ADD COLUMN     "detection_scans" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "installs" JSONB NOT NULL DEFAULT '{"recent": [], "updates": {}}',
ADD COLUMN     "last_install_failure_at" TIMESTAMPTZ(3),
ADD COLUMN     "policy_mdm" JSONB,
ADD COLUMN     "update_sources" JSONB;

-- CreateIndex
CREATE INDEX "machines_last_install_failure_at_idx" ON "machines"("last_install_failure_at");

-- Detections stored before this migration named no update service: they become the unnamed ('') scans, so the
-- streak, the last detection and the last success that the status reads stay what they were (issue 15).
UPDATE "machines" SET "detection_scans" = jsonb_build_object('', jsonb_build_object(
    'name', NULL,
    'lastAt', to_char("last_detection_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'outcome', "last_detection_outcome",
    'hresult', "last_detection_hresult",
    'source', "last_detection_source",
    'failures', "consecutive_detection_failures",
    'firstFailureAt', to_char("first_failure_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'lastSuccessAt', to_char("last_success_detection_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  ))
WHERE "last_detection_at" IS NOT NULL OR "last_success_detection_at" IS NOT NULL;
