/**
 * Runs one teacher-CoT build in its own process so a test can really kill it (SIGKILL) halfway:
 * `node --import tsx packages/datasets/test/build-child.ts <outDir> <specJson>`.
 * Prints `DONE <rows>` when the build finishes.
 */
import { LocalArtifactStore, buildDataset, resolveDatasetSpec } from "../src/index.js";

const [outDir, specJson] = process.argv.slice(2);
const spec = resolveDatasetSpec(JSON.parse(specJson!));
const r = await buildDataset(spec, { store: new LocalArtifactStore(outDir!), prefix: "" });
process.stdout.write(`DONE ${r.rows}\n`);
