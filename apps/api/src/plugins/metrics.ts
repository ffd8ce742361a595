/**
 * GET /metrics (Prometheus text format, operator key): HTTP latency by route, and from Postgres at
 * scrape time the queue depth per job kind, job outcomes and durations per kind, webhook delivery
 * outcomes and scored evaluation items. Counts come from Postgres (the system of record) so they
 * survive API restarts and agree across replicas however many worker processes ran the jobs;
 * each app has its own registry so tests can build many apps in one process.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from "prom-client";
import { evalItemOutcomes, fromDbKind, jobDurationHistogram, type DurationSeries } from "@trainyard/db";
import { ApiErrorBody } from "@trainyard/contracts";
import { z } from "zod";
import { withDeadline } from "../dependencies.js";

/** Seconds: a dataset build takes seconds, a paper-scale training run up to its 72 h timeout. */
const JOB_DURATION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600];

/**
 * A histogram whose buckets Postgres counts at scrape time. prom-client's Histogram takes one
 * observation at a time and renders its own in-process state, which a worker process would hold
 * and the API could not see; this renders the aggregate rows in the same exposition format.
 */
class ScrapedHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    private readonly read: () => Promise<DurationSeries[]>,
  ) {}

  async get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const s of await this.read()) {
      const labels = { kind: s.kind, state: s.state };
      this.bounds.forEach((le, i) =>
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: s.buckets[i] ?? 0 }),
      );
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: "+Inf" }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset() {}
}

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

  registry.registerMetric(
    new ScrapedHistogram(
      "trainyard_job_duration_seconds",
      "Finished jobs' durations (first start to end, retries included) per job kind and final state",
      JOB_DURATION_BUCKETS,
      () => withDeadline(jobDurationHistogram(db, JOB_DURATION_BUCKETS), 3000, "postgres"),
    ) as unknown as Metric,
  );
  new Counter({
    name: "trainyard_eval_items_total",
    help: "Evaluation items scored, per outcome (success, failure: valid but unsolved, invalid)",
    labelNames: ["outcome"],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await withDeadline(evalItemOutcomes(db), 3000, "postgres");
      for (const [outcome, n] of Object.entries(counts)) this.inc({ outcome }, n);
    },
  });

  app.addHook("onResponse", async (req, reply) => {
    // The route pattern, not the URL: ids would explode the label set.
    const route = req.routeOptions.url ?? "unmatched";
    const labels = { method: req.method, route, status_code: String(reply.statusCode) };
    latency.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });

  const refused = { 401: ApiErrorBody, 403: ApiErrorBody, 429: ApiErrorBody, 500: ApiErrorBody, 503: ApiErrorBody };
  const text = { content: { "text/plain": { schema: z.string().describe("Prometheus text exposition format") } } };
  app.get(
    "/metrics",
    { schema: { hide: true, response: { 200: text, ...refused } }, onRequest: app.authenticateOperator },
    async (_req, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
});
