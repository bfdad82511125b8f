-- AlterTable
ALTER TABLE "enrollment_secrets" ADD COLUMN     "max_uses" INTEGER,
ADD COLUMN     "uses" INTEGER NOT NULL DEFAULT 0;
