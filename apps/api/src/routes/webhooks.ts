/**
 * Webhook endpoints of the key's project, their delivery log, test events and redelivery.
 * Register with `app.register(webhookRoutes, { prefix: "/v1", allowPrivate })`. Endpoints of other
 * projects answer 404. A URL whose host is or resolves to a non-public address is refused (400
 * TY_ERR_WEBHOOK_URL_FORBIDDEN naming `url`) unless the operator allows private targets.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  CreateWebhookEndpoint,
  NoBody,
  WebhookDeliveryPage,
  WebhookDeliveryResponse,
  WebhookEndpointList,
  WebhookEndpointResponse,
  WebhookEndpointWithSecret,
  PageQuery,
  TyError,
  UpdateWebhookEndpoint,
  checkWebhookTarget,
  decodeCursor,
  encodeCursor,
  webhooksChannel,
  type LookupAll,
  type RuntimeConfig,
} from "@trainyard/contracts";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookDelivery,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  rotateWebhookSecret,
  sendWebhookTest,
  updateWebhookEndpoint,
} from "@trainyard/db";
import { principalOf } from "../plugins/auth.js";
import { BY_ID, IdParams, WRITE, replies } from "./schemas.js";

export interface WebhookRoutesOptions {
  /** WEBHOOK_ALLOW_PRIVATE; default: the app config's value, else false. */
  allowPrivate?: boolean;
  /** DNS for the target check (default: dns.lookup, every address). */
  lookup?: LookupAll;
  /** WEBHOOK_ALLOWED_PORTS: target ports allowed besides 80 and 443. */
  allowedPorts?: readonly number[];
}

const DeliveryParams = z.object({ deliveryId: z.string().max(64) });

export async function webhookRoutes(appBase: FastifyInstance, opts: WebhookRoutesOptions) {
  const app = appBase.withTypeProvider<ZodTypeProvider>();
  app.addHook("onRequest", app.authenticate);
  const allowPrivate = opts.allowPrivate ?? (app.deps.config as Partial<RuntimeConfig>).WEBHOOK_ALLOW_PRIVATE ?? false;
  const lookup: LookupAll = opts.lookup ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  const allowedPorts = opts.allowedPorts ?? [];
  const checkUrl = (url: string) => checkWebhookTarget(url, { allowPrivate, lookup, allowedPorts });
  const notFound = (what: string, id: string): never => {
    throw new TyError("TY_ERR_NOT_FOUND", `${what} ${id} not found`);
  };
  // Deliverers poll anyway; this only shortens the wait (best effort, after the commit).
  const nudge = () => app.redis.publish(webhooksChannel(app.deps.config.REDIS_PREFIX), "1").catch(() => undefined);

  app.post(
    "/webhooks",
    {
      schema: {
        summary: "Create a webhook endpoint (the signing secret is shown once)",
        body: CreateWebhookEndpoint,
        response: replies({ 201: WebhookEndpointWithSecret }, WRITE),
      },
    },
    async (req, reply) => {
      await checkUrl(req.body.url);
      return reply.status(201).send(await createWebhookEndpoint(app.db, principalOf(req).projectId, req.body));
    },
  );

  app.get(
    "/webhooks",
    { schema: { summary: "The project's webhook endpoints", response: replies({ 200: WebhookEndpointList }) } },
    async (req) => ({
      items: await listWebhookEndpoints(app.db, principalOf(req).projectId),
    }),
  );

  app.get(
    "/webhooks/:id",
    { schema: { summary: "A webhook endpoint", params: IdParams, response: replies({ 200: WebhookEndpointResponse }, BY_ID) } },
    async (req) => {
      return (await getWebhookEndpoint(app.db, principalOf(req).projectId, req.params.id)) ?? notFound("webhook", req.params.id);
    },
  );

  app.patch(
    "/webhooks/:id",
    {
      schema: {
        summary: "Change a webhook endpoint's url, events, enabled or description",
        params: IdParams,
        body: UpdateWebhookEndpoint,
        response: replies({ 200: WebhookEndpointResponse }, BY_ID, WRITE),
      },
    },
    async (req) => {
      const projectId = principalOf(req).projectId;
      if (!(await getWebhookEndpoint(app.db, projectId, req.params.id))) notFound("webhook", req.params.id);
      if (req.body.url !== undefined) await checkUrl(req.body.url);
      const e = (await updateWebhookEndpoint(app.db, projectId, req.params.id, req.body)) ?? notFound("webhook", req.params.id);
      if (req.body.enabled) void nudge();
      return e;
    },
  );

  app.delete(
    "/webhooks/:id",
    {
      schema: {
        summary: "Delete a webhook endpoint and its delivery log",
        params: IdParams,
        response: replies({ 204: NoBody }, BY_ID, WRITE),
      },
    },
    async (req, reply) => {
      if (!(await deleteWebhookEndpoint(app.db, principalOf(req).projectId, req.params.id))) notFound("webhook", req.params.id);
      return reply.status(204).send(undefined);
    },
  );

  app.post(
    "/webhooks/:id/rotate-secret",
    {
      schema: {
        summary: "New signing secret; the old one also signs for 24 h",
        params: IdParams,
        response: replies({ 200: WebhookEndpointWithSecret }, BY_ID, WRITE),
      },
    },
    async (req) => {
      return (await rotateWebhookSecret(app.db, principalOf(req).projectId, req.params.id)) ?? notFound("webhook", req.params.id);
    },
  );

  app.post(
    "/webhooks/:id/test",
    {
      schema: {
        summary: "Send a `webhook.test` event",
        params: IdParams,
        // 409: the endpoint is disabled.
        response: replies({ 202: WebhookDeliveryResponse }, BY_ID, WRITE, [409]),
      },
    },
    async (req, reply) => {
      const d = (await sendWebhookTest(app.db, principalOf(req).projectId, req.params.id)) ?? notFound("webhook", req.params.id);
      void nudge();
      return reply.status(202).send(d);
    },
  );

  app.get(
    "/webhooks/:id/deliveries",
    {
      schema: {
        summary: "The endpoint's delivery log (newest first)",
        params: IdParams,
        querystring: PageQuery,
        response: replies({ 200: WebhookDeliveryPage }, BY_ID),
      },
    },
    async (req) => {
      let after: { createdAt: Date; id: string } | undefined;
      if (req.query.cursor) {
        const c = decodeCursor(req.query.cursor);
        if (!c)
          throw new TyError("TY_ERR_INVALID_CURSOR", "cursor is malformed", [
            { code: "custom", path: ["query", "cursor"], message: "malformed cursor" },
          ]);
        after = c;
      }
      const page =
        (await listWebhookDeliveries(app.db, {
          projectId: principalOf(req).projectId,
          endpointId: req.params.id,
          limit: req.query.limit,
          after,
        })) ?? notFound("webhook", req.params.id);
      return { items: page.items, nextCursor: page.last ? encodeCursor(page.last.createdAt, page.last.id) : null };
    },
  );

  app.get(
    "/webhooks/deliveries/:deliveryId",
    {
      schema: {
        summary: "One delivery with its payload and attempt log",
        params: DeliveryParams,
        response: replies({ 200: WebhookDeliveryResponse }, BY_ID),
      },
    },
    async (req) => {
      const id = req.params.deliveryId;
      return (await getWebhookDelivery(app.db, principalOf(req).projectId, id)) ?? notFound("delivery", id);
    },
  );

  app.post(
    "/webhooks/deliveries/:deliveryId/redeliver",
    {
      schema: {
        summary: "Send a delivery's message again (same webhook-id)",
        params: DeliveryParams,
        response: replies({ 202: WebhookDeliveryResponse }, BY_ID, WRITE, [409]),
      },
    },
    async (req, reply) => {
      const id = req.params.deliveryId;
      const d = (await redeliverWebhook(app.db, principalOf(req).projectId, id)) ?? notFound("delivery", id);
      void nudge();
      return reply.status(202).send(d);
    },
  );
}
