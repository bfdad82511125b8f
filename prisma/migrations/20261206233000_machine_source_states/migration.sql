-- AlterTable
ALTER TABLE "machines" ADD COLUMN     "source_states" JSONB;
