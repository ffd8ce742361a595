-- A job that fails because the deployment is misconfigured (no torch in the trainer's venv, no
-- trainer executable, no Slurm client): not retried, fixed by an operator.
ALTER TYPE "FailureKind" ADD VALUE IF NOT EXISTS 'config_error';
