export * from "./env.js";
export * from "./registry.js";
