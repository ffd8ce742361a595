/**
 * Webhook endpoints of the project: create (the signing secret is shown once), enable or
 * disable, send a test event, rotate the secret, delete; each endpoint's deliveries with status,
 * attempts and the receiver's answer; redeliver.
 */
import { useId, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import type { WebhookEventType } from "@trainyard/contracts";
import { api, ApiError, qs } from "../api/client";
import type { Page, WebhookDelivery, WebhookEndpoint } from "../api/types";
import { ErrorNotice, Facts, Loading, PageTitle } from "../components/common";
import { ago, when } from "../lib/format";

const EVENTS = Object.keys({
  "eval.completed": true,
  "experiment.completed": true,
  "job.failed": true,
  "job.cancelled": true,
} satisfies Record<WebhookEventType, true>) as WebhookEventType[];

function fieldError(err: unknown, field: string): string | null {
  if (!(err instanceof ApiError)) return null;
  const i = err.issues.find((x) => x.path[0] === field);
  return i ? i.message : null;
}

function CreateEndpoint({ onCreated }: { onCreated(e: WebhookEndpoint): void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>(["eval.completed", "experiment.completed"]);
  const [description, setDescription] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const urlErr = fieldError(error, "url");
  const eventsErr = fieldError(error, "events");
  const uid = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<WebhookEndpoint>("/v1/webhooks", {
        method: "POST",
        body: { url, events, ...(description ? { description } : {}) },
      });
      setUrl("");
      setDescription("");
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card-form" onSubmit={submit} noValidate aria-labelledby={`${uid}-t`}>
      <h2 id={`${uid}-t`}>Add an endpoint</h2>
      <div className="field">
        <label htmlFor="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://example.org/hooks/trainyard"
          aria-invalid={urlErr ? true : undefined}
          aria-describedby={urlErr ? "webhook-url-error" : undefined}
        />
        {urlErr && (
          <span id="webhook-url-error" className="field-error">
            {urlErr}
          </span>
        )}
      </div>
      <fieldset aria-describedby={eventsErr ? "webhook-events-error" : undefined}>
        <legend>Events</legend>
        {EVENTS.map((ev) => (
          <label key={ev} className="check">
            <input
              type="checkbox"
              checked={events.includes(ev)}
              onChange={(e) => setEvents(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))}
            />{" "}
            {ev}
          </label>
        ))}
        {eventsErr && (
          <span id="webhook-events-error" className="field-error">
            {eventsErr}
          </span>
        )}
      </fieldset>
      <div className="field">
        <label htmlFor="webhook-description">Description (optional)</label>
        <input id="webhook-description" type="text" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
      </div>
      {error && !urlErr && !eventsErr ? <ErrorNotice error={error} what="the endpoint" /> : null}
      <button type="submit" className="primary" disabled={busy}>
        Add endpoint
      </button>
    </form>
  );
}

function DeliveryDetail({ id, onRedelivered }: { id: string; onRedelivered(copy: WebhookDelivery): void }) {
  const d = useQuery({
    queryKey: ["delivery", id],
    queryFn: ({ signal }) => api<WebhookDelivery>(`/v1/webhooks/deliveries/${id}`, { signal }),
    refetchInterval: (q) => (q.state.data?.state === "pending" ? 1_000 : false),
  });
  const [error, setError] = useState<unknown>(null);
  if (d.isPending) return <Loading what="the delivery" />;
  if (!d.data) return <ErrorNotice error={d.error} what="the delivery" />;
  const x = d.data;
  return (
    <div className="delivery-detail" aria-label={`Delivery ${x.id}`} role="region">
      <h3>
        {x.eventType} <span className={`badge delivery-${x.state}`}>{x.state}</span>
      </h3>
      <Facts
        items={[
          ["Message id", <code key="m">{x.messageId}</code>],
          ["Created", when(x.createdAt)],
          ["Delivered", when(x.deliveredAt)],
          ["Attempts", String(x.attempts)],
        ]}
      />
      <div className="table-wrap">
        <table className="list responsive">
          <caption>Attempts</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">At</th>
              <th scope="col">Status</th>
              <th scope="col">Took</th>
              <th scope="col">Response or error</th>
            </tr>
          </thead>
          <tbody>
            {x.log.map((a) => (
              <tr key={`${a.attempt}-${a.at}`}>
                <td data-label="#">{a.attempt}</td>
                <td data-label="At">{when(a.at)}</td>
                <td data-label="Status">{a.status ?? "no answer"}</td>
                <td data-label="Took">{a.durationMs} ms</td>
                <td data-label="Response">
                  <code className="wrap">{a.error ?? a.response ?? "(empty)"}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details open>
        <summary>Payload</summary>
        <pre className="text" tabIndex={0}>
          {JSON.stringify(x.payload, null, 2)}
        </pre>
      </details>
      <ErrorNotice error={error} what="the redelivery" />
      <p className="muted small">Redelivering sends the same message again (same webhook-id) as a new delivery.</p>
      <button
        type="button"
        onClick={async () => {
          try {
            // A redelivery is a new delivery of the same message (same webhook-id).
            const copy = await api<WebhookDelivery>(`/v1/webhooks/deliveries/${x.id}/redeliver`, { method: "POST" });
            setError(null);
            onRedelivered(copy);
          } catch (e) {
            setError(e);
          }
        }}
      >
        Redeliver
      </button>
    </div>
  );
}

function EndpointView({ endpoint }: { endpoint: WebhookEndpoint }) {
  const queryClient = useQueryClient();
  const [cursor, setCursor] = useState("");
  const [stack, setStack] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const deliveries = useQuery({
    queryKey: ["deliveries", endpoint.id, cursor],
    queryFn: ({ signal }) => api<Page<WebhookDelivery>>(`/v1/webhooks/${endpoint.id}/deliveries${qs({ cursor, limit: 20 })}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.state === "pending") ? 1_000 : 10_000),
  });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["deliveries", endpoint.id] });
    void queryClient.invalidateQueries({ queryKey: ["delivery"] });
  };
  const act = async (fn: () => Promise<unknown>) => {
    try {
      setError(null);
      await fn();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="endpoint" aria-labelledby={`ep-${endpoint.id}`}>
      <h2 id={`ep-${endpoint.id}`}>
        <code className="wrap">{endpoint.url}</code>
      </h2>
      <Facts
        items={[
          ["Events", endpoint.events.join(", ")],
          ["State", endpoint.enabled ? "enabled" : "disabled"],
          ["Description", endpoint.description ?? "–"],
          ["Created", when(endpoint.createdAt)],
          ...(endpoint.previousSecretExpiresAt
            ? ([["Old secret valid until", when(endpoint.previousSecretExpiresAt)]] as [string, string][])
            : []),
        ]}
      />
      {secret && (
        <p className="notice ok" role="status">
          New signing secret (shown once): <code className="wrap">{secret}</code>
        </p>
      )}
      <ErrorNotice error={error} what="the change" />
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={!endpoint.enabled}
          onClick={() => act(async () => (await api(`/v1/webhooks/${endpoint.id}/test`, { method: "POST" }), refresh()))}
        >
          Send test event
        </button>
        <button
          type="button"
          onClick={() =>
            act(async () => {
              await api(`/v1/webhooks/${endpoint.id}`, { method: "PATCH", body: { enabled: !endpoint.enabled } });
              await queryClient.invalidateQueries({ queryKey: ["webhooks"] });
            })
          }
        >
          {endpoint.enabled ? "Disable" : "Enable"}
        </button>
        <button
          type="button"
          onClick={() =>
            act(async () =>
              setSecret((await api<WebhookEndpoint>(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST" })).secret ?? null),
            )
          }
        >
          Rotate secret
        </button>
        {confirmDelete ? (
          <span className="confirm" role="group" aria-label="Confirm delete">
            <button
              type="button"
              className="danger"
              onClick={() =>
                act(async () => {
                  await api(`/v1/webhooks/${endpoint.id}`, { method: "DELETE" });
                  await queryClient.invalidateQueries({ queryKey: ["webhooks"] });
                })
              }
            >
              Yes, delete it and its deliveries
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>

      <h3>Deliveries</h3>
      <ErrorNotice error={deliveries.error} what="deliveries" />
      {deliveries.data && deliveries.data.items.length === 0 && <p className="empty">No deliveries yet. Send a test event.</p>}
      {deliveries.data && deliveries.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="list responsive" data-deliveries={deliveries.data.items.length}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.items.map((d) => (
                <tr key={d.id} data-delivery={d.id}>
                  <td data-label="Event">{d.eventType}</td>
                  <td data-label="State">
                    <span className={`badge delivery-${d.state}`}>{d.state}</span>
                  </td>
                  <td data-label="Status">{d.lastStatus ?? (d.lastError ? "error" : "–")}</td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Created">
                    <time dateTime={d.createdAt} title={when(d.createdAt)}>
                      {ago(d.createdAt)}
                    </time>
                  </td>
                  <td data-label="Details">
                    <button
                      type="button"
                      className="small"
                      aria-expanded={open === d.id}
                      onClick={() => setOpen(open === d.id ? null : d.id)}
                    >
                      {open === d.id ? "Hide" : "Show"}{" "}
                      <span className="sr-only">
                        delivery {d.eventType} {ago(d.createdAt)}
                      </span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && (
        <DeliveryDetail
          key={open}
          id={open}
          onRedelivered={(copy) => {
            setOpen(copy.id);
            refresh();
          }}
        />
      )}
      <nav className="pager" aria-label="Delivery pages">
        <button
          type="button"
          disabled={!stack.length}
          onClick={() => {
            setCursor(stack[stack.length - 1] ?? "");
            setStack(stack.slice(0, -1));
          }}
        >
          ← Newer
        </button>
        <button
          type="button"
          disabled={!deliveries.data?.nextCursor}
          onClick={() => {
            setStack([...stack, cursor]);
            setCursor(deliveries.data?.nextCursor ?? "");
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}

export function WebhooksPage() {
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [created, setCreated] = useState<WebhookEndpoint | null>(null);
  const list = useQuery({ queryKey: ["webhooks"], queryFn: ({ signal }) => api<{ items: WebhookEndpoint[] }>("/v1/webhooks", { signal }) });
  const items = list.data?.items ?? [];
  const selected = items.find((e) => e.id === params.get("endpoint")) ?? items[0];
  return (
    <>
      <PageTitle title="Webhooks" sub="Signed HTTP callbacks when evaluations and experiments finish (Standard Webhooks).">
        Webhooks
      </PageTitle>
      <ErrorNotice error={list.error} what="webhook endpoints" />
      {created?.secret && (
        <div className="notice ok" role="status">
          Endpoint added. Its signing secret is shown only now: <code className="wrap">{created.secret}</code>
        </div>
      )}
      <div className="split-view">
        <div>
          <CreateEndpoint
            onCreated={(e) => {
              setCreated(e);
              setParams({ endpoint: e.id });
              void queryClient.invalidateQueries({ queryKey: ["webhooks"] });
            }}
          />
          {items.length > 0 && (
            <nav aria-label="Endpoints" className="endpoint-list">
              <h2>Endpoints</h2>
              <ul>
                {items.map((e) => (
                  <li key={e.id}>
                    <button
                      type="button"
                      className="link-button"
                      aria-current={e.id === selected?.id ? "true" : undefined}
                      onClick={() => setParams({ endpoint: e.id })}
                    >
                      {e.url}
                    </button>
                    <span className="muted small">{e.enabled ? e.events.join(", ") : "disabled"}</span>
                  </li>
                ))}
              </ul>
            </nav>
          )}
        </div>
        <div>
          {selected ? <EndpointView key={selected.id} endpoint={selected} /> : list.isSuccess && <p className="empty">No endpoints yet.</p>}
        </div>
      </div>
    </>
  );
}
