-- AlterTable
ALTER TABLE "alerts" ADD COLUMN     "notified_machines" INTEGER;
