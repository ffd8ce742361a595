-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "compute" JSONB;

