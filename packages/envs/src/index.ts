export * from "./env.js";
export * from "./registry.js";
export * from "./random/index.js";
