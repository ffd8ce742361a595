/** Dataset specs of the named experiment presets (see PresetName). */
import { expandExperimentRequest } from "@trainyard/contracts";
import { datasetSpecFromExperiment, type DatasetSpec } from "./spec.js";

/** Throws TyError TY_ERR_UNKNOWN_PRESET for an unknown name. */
export function presetDatasetSpec(name: string): DatasetSpec {
  return datasetSpecFromExperiment(expandExperimentRequest({ preset: name }));
}
