import type { JobKind as ContractJobKind } from "@trainyard/contracts";
import type { JobKind as DbJobKind } from "./generated/prisma/client.js";

// Prisma names the `dataset-build` enum value `dataset_build` in TypeScript (it is stored as
// `dataset-build`); the API and the catalogue use the hyphenated name.
export function toDbKind(kind: ContractJobKind): DbJobKind {
  return kind === "dataset-build" ? "dataset_build" : kind;
}
export function fromDbKind(kind: DbJobKind): ContractJobKind {
  return kind === "dataset_build" ? "dataset-build" : kind;
}
