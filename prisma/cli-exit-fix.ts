// The WASM schema engine arms 10 s / 60 s timers it never clears, so the Prisma CLI lingers
// after its work is done (docs/conventions.md#prisma-without-engine-binaries). Unref long timers in the CLI process only.
const original = globalThis.setTimeout;
globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const t = original(fn, ms, ...args);
  if ((ms ?? 0) >= 5000) t.unref();
  return t;
}) as typeof setTimeout;
