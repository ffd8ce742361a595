-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "operator" BOOLEAN NOT NULL DEFAULT false;
