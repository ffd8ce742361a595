-- AlterTable
ALTER TABLE "webhook_endpoints" ADD COLUMN     "description" TEXT,
ADD COLUMN     "previous_secrets_expire_at" TIMESTAMP(3),
ADD COLUMN     "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
