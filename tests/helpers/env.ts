/** Where tests find Postgres and Redis (the machine's local services by default). */
export function baseDbUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
}
export function dbUrl(name: string): string {
  const u = new URL(baseDbUrl());
  u.pathname = `/${name}`;
  return u.toString();
}
export function adminDbUrl(): string {
  return dbUrl("postgres");
}
export function redisUrl(): string {
  return process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
}
