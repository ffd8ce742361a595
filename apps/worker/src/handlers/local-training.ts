/**
 * How many trainer runs this worker process has going on its own host (the `process` backend).
 * The eval job asks it before serving a second checkpoint at once: beside a trainer, a second CPU
 * server slowed the training that ends last more than it saved (docs/demo.md).
 */
let running = 0;

/** Counts a local trainer run until its exit settles. */
export function trackLocalTraining(exited: Promise<unknown>): void {
  running++;
  const release = () => void running--;
  exited.then(release, release);
}

export function localTrainingRuns(): number {
  return running;
}
