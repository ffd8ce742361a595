-- DropIndex
DROP INDEX "eval_results_job_id_checkpoint_id_split_key";

-- AlterTable
ALTER TABLE "eval_results" ALTER COLUMN "step" SET NOT NULL;

-- CreateTable
CREATE TABLE "eval_items" (
    "id" BIGSERIAL NOT NULL,
    "eval_result_id" UUID NOT NULL,
    "item_index" INTEGER NOT NULL,
    "item_key" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL,
    "valid" BOOLEAN NOT NULL,
    "reward" DOUBLE PRECISION NOT NULL,
    "reason" TEXT,
    "turns" JSONB NOT NULL,
    "usage" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "eval_items_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "eval_items_eval_result_id_item_index_key" ON "eval_items"("eval_result_id", "item_index");

-- CreateIndex
CREATE UNIQUE INDEX "eval_results_job_id_step_split_key" ON "eval_results"("job_id", "step", "split");

-- AddForeignKey
ALTER TABLE "eval_items" ADD CONSTRAINT "eval_items_eval_result_id_fkey" FOREIGN KEY ("eval_result_id") REFERENCES "eval_results"("id") ON DELETE CASCADE ON UPDATE CASCADE;

