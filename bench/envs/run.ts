/**
 * Environment throughput in one run: Sokoban then General Points, each next to the reference
 * figures of docs/performance-reference.md (run: `npx tsx bench/envs/run.ts`).
 */
await import("./sokoban.js");
console.log("");
await import("./gp.js");
