/**
 * Coded errors of dataset builds. The codes live in the shared catalogue
 * (packages/contracts/src/errors.ts, docs/errors.md); these helpers only build them.
 */
import { TyError, toApiIssues, type ApiIssue } from "@trainyard/contracts";
import type { z } from "zod";

type Path = (string | number)[];

/** TY_ERR_DATASET_INVALID_SPEC; the message starts with the dotted field path. */
export function invalidSpec(path: Path, message: string, zodIssues?: readonly z.core.$ZodIssue[]): TyError {
  const issues: ApiIssue[] = zodIssues ? toApiIssues(zodIssues) : [{ code: "custom", path, message }];
  return new TyError("TY_ERR_DATASET_INVALID_SPEC", `${path.join(".") || "(spec)"}: ${message}`, issues);
}

/** TY_ERR_DATASET_EMPTY: a set would have no rows. */
export function emptySet(path: Path, message: string): TyError {
  return new TyError("TY_ERR_DATASET_EMPTY", `${path.join(".")}: ${message}`, [{ code: "custom", path, message }]);
}

export function badUpload(message: string): TyError {
  return new TyError("TY_ERR_DATASET_BAD_UPLOAD", message);
}

/** The build was cancelled through its AbortSignal: rethrow the signal's reason as is. */
export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error(`dataset build aborted (${String(r)})`), { code: "TY_ERR_JOB_CANCELLED" });
}
