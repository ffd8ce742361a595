// Global test setup: filled in by the database helpers (template database per run).
export default async function setup(): Promise<void> {}
