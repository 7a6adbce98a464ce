import { CircleX, Inbox, KeyRound, Plus, ShieldCheck, Trash, Webhook } from "lucide-react";
import { useMemo, useState, type FormEvent } from "react";
import { api, ApiClient } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import {
  WEBHOOK_EVENT_TYPES,
  type ReceivedDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from "../api/types";
import { CopyButton } from "../components/CopyButton";
import { ErrorBox } from "../components/ErrorBox";
import { HttpStatus } from "../components/StatusBadge";
import {
  Button,
  Card,
  EmptyState,
  Field,
  Mono,
  PageHeader,
  Skeleton,
  Spinner,
  cx,
  inputClass,
} from "../components/ui";
import { useDevConfig } from "../hooks/useDevConfig";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";
import { formatDateTime, formatRelative, shortId } from "../lib/format";
import { Link } from "../lib/router";
import { localInputToIso, sameEvents, toLocalInput, toggleEvent } from "../lib/webhookEndpoints";

function SecretReveal({
  endpoint,
  onDismiss,
}: {
  endpoint: WebhookEndpoint;
  onDismiss: () => void;
}) {
  return (
    <div
      role="status"
      data-testid="secret-reveal"
      className="rounded-xl border border-amber-200 bg-amber-50 p-4"
    >
      <div className="flex items-center gap-2 text-sm font-semibold text-amber-900">
        <KeyRound className="size-4" aria-hidden /> Signing secret for {endpoint.url}
      </div>
      <p className="mt-1 text-xs text-amber-800">
        Shown once. Copy it now: the API never returns it again (rotate it to get a new one).
      </p>
      <div className="mt-3 flex items-center gap-2 rounded-lg bg-white px-3 py-2 ring-1 ring-amber-200">
        <Mono data-testid="endpoint-secret" className="min-w-0 flex-1 break-all text-slate-900">
          {endpoint.secret}
        </Mono>
        <CopyButton text={endpoint.secret ?? ""} label="Copy signing secret" />
      </div>
      <Button size="sm" variant="ghost" className="mt-2" onClick={onDismiss}>
        I saved it
      </Button>
    </div>
  );
}

/** One checkbox per event type (the add form and the enabled-events editor). */
function EventCheckboxes({
  legend,
  value,
  onChange,
}: {
  legend: string;
  value: string[];
  onChange: (events: string[]) => void;
}) {
  return (
    <fieldset>
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      <div className="mt-1.5 grid gap-1.5 sm:grid-cols-2">
        {WEBHOOK_EVENT_TYPES.map((ev) => (
          <label key={ev} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              className="size-4 rounded border-slate-300 text-indigo-600 accent-indigo-600"
              checked={value.includes(ev)}
              onChange={(e) =>
                onChange(toggleEvent(WEBHOOK_EVENT_TYPES, value, ev, e.target.checked))
              }
            />
            <Mono>{ev}</Mono>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function EnabledEventsEditor({
  ep,
  onSaved,
  onClose,
}: {
  ep: WebhookEndpoint;
  onSaved: () => void;
  onClose: () => void;
}) {
  const [events, setEvents] = useState<string[]>(ep.enabled_events);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      // the checkboxes only offer WEBHOOK_EVENT_TYPES
      await api.updateWebhookEndpoint(ep.id, { enabled_events: events as WebhookEventType[] });
      onSaved();
      onClose();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="enabled-events-editor" className="mt-3 rounded-lg bg-slate-50 p-3">
      <EventCheckboxes legend="Enabled events" value={events} onChange={setEvents} />
      {error && (
        <ErrorBox error={error} title="Could not save the events" compact className="mt-2" />
      )}
      <div className="mt-3 flex gap-2">
        <Button
          size="sm"
          variant="primary"
          busy={busy}
          disabled={sameEvents(events, ep.enabled_events)}
          onClick={() => void save()}
        >
          Save events
        </Button>
        <Button size="sm" variant="ghost" onClick={onClose}>
          Cancel
        </Button>
      </div>
    </div>
  );
}

function RecoverForm({ ep, onClose }: { ep: WebhookEndpoint; onClose: () => void }) {
  const [since, setSince] = useState(() => toLocalInput(Date.now() - 3_600_000));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [inputError, setInputError] = useState<string | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const inputId = `recover-since-${ep.id}`;
  const recover = async () => {
    const iso = localInputToIso(since);
    if (!iso) {
      setInputError("Choose a date and time");
      return;
    }
    setBusy(true);
    setError(null);
    setCount(null);
    try {
      setCount((await api.recoverWebhookEndpoint(ep.id, iso)).data.count);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="recover-form" className="mt-3 rounded-lg bg-slate-50 p-3">
      <Field
        label="Recover since"
        htmlFor={inputId}
        error={inputError}
        hint={
          ep.status === "disabled"
            ? "Enable the endpoint first: a disabled endpoint sends nothing, recovered or not."
            : "Sends again every delivery to this endpoint that FAILED since then."
        }
      >
        <div className="flex flex-wrap gap-2">
          <input
            id={inputId}
            type="datetime-local"
            className={cx(inputClass, "w-auto")}
            value={since}
            onChange={(e) => {
              setSince(e.target.value);
              setInputError(null);
            }}
          />
          <Button
            size="sm"
            variant="primary"
            busy={busy}
            disabled={ep.status === "disabled"}
            onClick={() => void recover()}
          >
            Recover
          </Button>
          <Button size="sm" variant="ghost" onClick={onClose}>
            Close
          </Button>
        </div>
      </Field>
      {count !== null && (
        <p role="status" className="mt-2 text-sm text-emerald-800">
          <strong data-testid="recover-count">{count}</strong>{" "}
          {count === 1 ? "failed delivery" : "failed deliveries"} queued again.
        </p>
      )}
      {error && <ErrorBox error={error} title="Recover failed" compact className="mt-2" />}
    </div>
  );
}

function AddEndpointForm({ onCreated }: { onCreated: (e: WebhookEndpoint) => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["payment.succeeded", "payment.failed"]);
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [urlError, setUrlError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const u = new URL(url.trim());
      if (!/^https?:$/.test(u.protocol)) throw new Error();
    } catch {
      setUrlError("Enter an http(s) URL");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await api.createWebhookEndpoint({
        url: url.trim(),
        enabled_events: events.length ? events : undefined,
        description: description.trim() || undefined,
      });
      setUrl("");
      setDescription("");
      onCreated(res.data);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(e) => void submit(e)}
      noValidate
      className="space-y-4"
      data-testid="add-endpoint-form"
    >
      <Field label="Endpoint URL" htmlFor="endpoint-url" error={urlError}>
        <input
          id="endpoint-url"
          type="url"
          placeholder="https://example.com/webhooks"
          className={cx(inputClass, "font-mono")}
          value={url}
          onChange={(e) => {
            setUrl(e.target.value);
            setUrlError(null);
          }}
        />
      </Field>
      <EventCheckboxes legend="Events" value={events} onChange={setEvents} />
      <Field label="Description" htmlFor="endpoint-description" hint="Optional">
        <input
          id="endpoint-description"
          className={inputClass}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </Field>
      {error && <ErrorBox error={error} title="Could not add the endpoint" />}
      <Button type="submit" variant="primary" busy={busy}>
        <Plus className="size-4" aria-hidden /> Add endpoint
      </Button>
    </form>
  );
}

function EndpointRow({
  ep,
  onChanged,
  onSecret,
}: {
  ep: WebhookEndpoint;
  onChanged: () => void;
  onSecret: (e: WebhookEndpoint) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<"" | "delete" | "rotate" | "enable">("");
  const [error, setError] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<"" | "events" | "recover">("");
  const disabled = ep.status === "disabled";
  const act = async (kind: "delete" | "rotate" | "enable") => {
    setBusy(kind);
    setError(null);
    try {
      if (kind === "delete") await api.deleteWebhookEndpoint(ep.id);
      else if (kind === "enable") await api.enableWebhookEndpoint(ep.id);
      else onSecret((await api.rotateWebhookSecret(ep.id)).data);
      onChanged();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy("");
      setConfirming(false);
    }
  };
  return (
    <li data-testid="endpoint-row" data-endpoint-id={ep.id} className="px-4 py-3">
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1 basis-72">
          <div className="flex items-center gap-2">
            <span
              data-testid="endpoint-status"
              data-status={ep.status}
              className={cx(
                "inline-flex shrink-0 items-center gap-1 rounded-full px-2 py-0.5 text-[0.6875rem] font-semibold",
                disabled ? "bg-rose-50 text-rose-700" : "bg-emerald-50 text-emerald-700",
              )}
            >
              <span
                className={cx("size-1.5 rounded-full", disabled ? "bg-rose-500" : "bg-emerald-500")}
              />
              {ep.status}
            </span>
            <Mono className="truncate font-medium text-slate-900">{ep.url}</Mono>
          </div>
          {disabled && (
            <p data-testid="endpoint-disabled-reason" className="mt-1 text-xs text-rose-700">
              {ep.disabled_reason ?? "Disabled"}
              {ep.disabled_at && ` · since ${formatDateTime(ep.disabled_at)}`}. No new deliveries
              are sent until it is enabled again.
            </p>
          )}
          <div
            data-testid="endpoint-events"
            className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-slate-500"
          >
            {ep.enabled_events.map((ev) => (
              <span
                key={ev}
                className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-[0.6875rem] text-slate-600"
              >
                {ev}
              </span>
            ))}
          </div>
          <div className="mt-1 text-xs text-slate-500">
            {ep.description && <span className="text-slate-700">{ep.description} · </span>}
            <Mono className="text-xs">{ep.id}</Mono> · added {formatDateTime(ep.created_at)}
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {confirming ? (
            <>
              <Button
                size="sm"
                variant="danger"
                busy={busy === "delete"}
                onClick={() => void act("delete")}
              >
                Confirm remove
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </>
          ) : (
            <>
              {disabled && (
                <Button
                  size="sm"
                  variant="primary"
                  busy={busy === "enable"}
                  onClick={() => void act("enable")}
                >
                  Enable
                </Button>
              )}
              <Button
                size="sm"
                aria-expanded={open === "events"}
                onClick={() => setOpen(open === "events" ? "" : "events")}
              >
                Edit events
              </Button>
              <Button
                size="sm"
                aria-expanded={open === "recover"}
                onClick={() => setOpen(open === "recover" ? "" : "recover")}
              >
                Recover since…
              </Button>
              <Button size="sm" busy={busy === "rotate"} onClick={() => void act("rotate")}>
                Rotate secret
              </Button>
              <Button size="sm" onClick={() => setConfirming(true)} aria-label={`Remove ${ep.url}`}>
                <Trash className="size-3.5" aria-hidden /> Remove
              </Button>
            </>
          )}
        </div>
      </div>
      {open === "events" && (
        <EnabledEventsEditor ep={ep} onSaved={onChanged} onClose={() => setOpen("")} />
      )}
      {open === "recover" && <RecoverForm ep={ep} onClose={() => setOpen("")} />}
      {error && <ErrorBox error={error} compact className="mt-2" />}
    </li>
  );
}

function ReceiverDeliveries({ receiverUrl }: { receiverUrl: string }) {
  const client = useMemo(
    () => new ApiClient({ baseUrl: receiverUrl, connection: null }),
    [receiverUrl],
  );
  const now = useNow(5000);
  const feed = usePolling(
    (signal) =>
      client
        .request<{ data: ReceivedDelivery[]; total: number }>("GET", "/deliveries", {
          query: { limit: 50 },
          signal,
          auth: false,
        })
        .then((r) => r.data),
    { key: receiverUrl, interval: 3000 },
  );
  return (
    <Card
      title="Demo receiver: recent deliveries"
      bodyClassName="p-0"
      actions={
        <span className="text-xs text-slate-400">
          {feed.data ? `${feed.data.total} received` : ""} · <Mono>{receiverUrl}</Mono>
        </span>
      }
    >
      {feed.error && (
        <ErrorBox error={feed.error} title="Demo receiver not reachable" compact className="m-3" />
      )}
      {!feed.data && !feed.error && <Spinner className="p-4" />}
      {feed.data && feed.data.data.length === 0 && (
        <EmptyState icon={<Inbox className="size-5" />} title="Nothing received yet">
          Payments that reach a final state send their webhooks here.
        </EmptyState>
      )}
      {feed.data && feed.data.data.length > 0 && (
        <div className="max-h-[36rem] overflow-auto">
          <table
            data-testid="receiver-deliveries"
            className="min-w-full divide-y divide-slate-100 text-sm"
          >
            <thead className="sticky top-0 bg-slate-50 text-left text-[0.6875rem] font-semibold tracking-wider text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-2">
                  Received
                </th>
                <th scope="col" className="px-3 py-2">
                  Event
                </th>
                <th scope="col" className="px-3 py-2">
                  Payment
                </th>
                <th scope="col" className="hidden px-3 py-2 sm:table-cell">
                  Attempt
                </th>
                <th scope="col" className="px-3 py-2">
                  Signature
                </th>
                <th scope="col" className="px-4 py-2 text-right">
                  Answered
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {feed.data.data.map((d) => (
                <tr key={`${d.webhook_id}-${d.attempt}-${d.received_at}`}>
                  <td
                    className="px-4 py-2 whitespace-nowrap text-slate-500"
                    title={formatDateTime(d.received_at)}
                  >
                    {formatRelative(d.received_at, now)}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <Mono>{d.event_type}</Mono>
                  </td>
                  <td className="px-3 py-2">
                    {d.payment_id ? (
                      <Link
                        to={`/payments/${d.payment_id}`}
                        className="whitespace-nowrap font-mono text-[0.8125rem] text-indigo-700 hover:underline"
                      >
                        {shortId(d.payment_id, 12, 4)}
                      </Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="hidden px-3 py-2 tabular-nums sm:table-cell">#{d.attempt}</td>
                  <td className="px-3 py-2">
                    {d.valid_signature ? (
                      <span className="inline-flex items-center gap-1 text-emerald-700">
                        <ShieldCheck className="size-4" aria-hidden /> valid
                      </span>
                    ) : (
                      <span className="inline-flex items-center gap-1 text-rose-700">
                        <CircleX className="size-4" aria-hidden /> invalid
                      </span>
                    )}
                  </td>
                  <td className="px-4 py-2 text-right">
                    <HttpStatus code={d.status_code} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

export function WebhooksPage() {
  const { config } = useDevConfig();
  const endpoints = usePolling((signal) => api.listWebhookEndpoints(signal).then((r) => r.data), {
    key: "endpoints",
    interval: 5000,
  });
  const [revealed, setRevealed] = useState<WebhookEndpoint | null>(null);
  const list = endpoints.data?.data ?? [];

  return (
    <div>
      <PageHeader
        title="Webhooks"
        subtitle="Endpoints that receive signed payment events (Standard Webhooks)"
      />
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="min-w-0 space-y-4 lg:col-span-2">
          {revealed && <SecretReveal endpoint={revealed} onDismiss={() => setRevealed(null)} />}
          <Card
            title="Endpoints"
            bodyClassName="p-0"
            actions={
              <span className="text-xs text-slate-400">{endpoints.data ? list.length : ""}</span>
            }
          >
            {endpoints.error && (
              <ErrorBox
                error={endpoints.error}
                title="Could not load endpoints"
                compact={Boolean(endpoints.data)}
                className="m-3"
              />
            )}
            {!endpoints.data && !endpoints.error && (
              <div className="space-y-2 p-4">
                <Skeleton className="h-10" />
                <Skeleton className="h-10" />
              </div>
            )}
            {endpoints.data && list.length === 0 && (
              <EmptyState icon={<Webhook className="size-5" />} title="No webhook endpoints">
                Add one to receive payment events.
              </EmptyState>
            )}
            {list.length > 0 && (
              <ul data-testid="endpoint-list" className="divide-y divide-slate-100">
                {list.map((ep) => (
                  <EndpointRow
                    key={ep.id}
                    ep={ep}
                    onChanged={endpoints.refresh}
                    onSecret={setRevealed}
                  />
                ))}
              </ul>
            )}
          </Card>
          {config?.receiver_url && <ReceiverDeliveries receiverUrl={config.receiver_url} />}
        </div>
        <Card title="Add an endpoint">
          <AddEndpointForm
            onCreated={(ep) => {
              setRevealed(ep);
              endpoints.refresh();
            }}
          />
        </Card>
      </div>
    </div>
  );
}
