/**
 * GET /metrics (Prometheus text format, operator key): HTTP latency by route, and from Postgres at
 * scrape time the queue depth per job kind, job outcomes per kind and webhook delivery outcomes.
 * Counts come from Postgres (the system of record) so they survive API restarts and agree across
 * replicas; each app has its own registry so tests can build many apps in one process.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { fromDbKind } from "@trainyard/db";
import { withDeadline } from "../dependencies.js";

export const metricsPlugin = fp(async (app: FastifyInstance) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "trainyard_api_" });
  const latency = new Histogram({
    name: "trainyard_http_request_duration_seconds",
    help: "API request latency by method, route pattern and status code",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: "trainyard_http_requests_total",
    help: "API requests by method, route pattern and status code",
    labelNames: ["method", "route", "status_code"],
    registers: [registry],
  });
  const db = app.db;
  new Gauge({
    name: "trainyard_queue_depth",
    help: "Jobs waiting to run (state queued), per job kind",
    labelNames: ["kind"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await withDeadline(
        db.job.groupBy({ by: ["kind"], where: { state: "queued" }, _count: { _all: true } }),
        3000,
        "postgres",
      );
      for (const r of rows) this.set({ kind: fromDbKind(r.kind) }, r._count._all);
    },
  });
  new Gauge({
    name: "trainyard_jobs",
    help: "Jobs per kind and state (terminal states are the job outcomes)",
    labelNames: ["kind", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await withDeadline(db.job.groupBy({ by: ["kind", "state"], _count: { _all: true } }), 3000, "postgres");
      for (const r of rows) this.set({ kind: fromDbKind(r.kind), state: r.state }, r._count._all);
    },
  });
  new Gauge({
    name: "trainyard_webhook_deliveries",
    help: "Webhook deliveries per state (delivered, failed, pending, ...)",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await withDeadline(db.webhookDelivery.groupBy({ by: ["state"], _count: { _all: true } }), 3000, "postgres");
      for (const r of rows) this.set({ state: r.state }, r._count._all);
    },
  });

  app.addHook("onResponse", async (req, reply) => {
    // The route pattern, not the URL: ids would explode the label set.
    const route = req.routeOptions.url ?? "unmatched";
    const labels = { method: req.method, route, status_code: String(reply.statusCode) };
    latency.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });

  app.get("/metrics", { schema: { hide: true }, onRequest: app.authenticateOperator }, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
});
