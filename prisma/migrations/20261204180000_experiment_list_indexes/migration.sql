-- The trigram operator class of experiments_name_trgm_idx (name search). Written by hand:
-- schema.prisma does not declare extensions (see the comment on the index there).
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- DropIndex
DROP INDEX "experiments_project_id_state_idx";

-- CreateIndex
CREATE INDEX "experiments_project_id_state_created_at_id_idx" ON "experiments"("project_id", "state", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "experiments_project_id_task_created_at_id_idx" ON "experiments"("project_id", "task", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "experiments_project_id_preset_created_at_id_idx" ON "experiments"("project_id", "preset", "created_at" DESC, "id");

-- CreateIndex
CREATE INDEX "experiments_name_trgm_idx" ON "experiments" USING GIN ("name" gin_trgm_ops);

