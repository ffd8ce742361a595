-- When a checkpoint's evaluation completed (aggregates written, eval.completed queued): a retried
-- eval job skips such a checkpoint instead of serving it and announcing it again.
ALTER TABLE "eval_results" ADD COLUMN     "completed_at" TIMESTAMP(3);
