// Every event paygate sent (`GET /v1/events`), newest first: filter by type or payment, open
// one to see its body and the deliveries that carried it, and resend a delivery.

import { ScrollText, X } from "lucide-react";
import { api } from "../api/client";
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from "../api/types";
import { DeliveryCard } from "../components/DeliveryCard";
import { ErrorBox } from "../components/ErrorBox";
import { Pager } from "../components/ListControls";
import { LiveIndicator } from "../components/LiveIndicator";
import { JsonView } from "../components/JsonView";
import {
  Button,
  Card,
  EmptyState,
  Mono,
  PageHeader,
  Skeleton,
  Spinner,
  cx,
  inputClass,
} from "../components/ui";
import { useNow } from "../hooks/useNow";
import { usePolling } from "../hooks/usePolling";
import {
  describeEventObject,
  paymentIdOfEvent,
  readEventsQuery,
  writeEventsQuery,
  type EventsQuery,
} from "../lib/events";
import { formatDateTime, formatRelative, shortId } from "../lib/format";
import { Link } from "../lib/router";

function EventDeliveries({ ev }: { ev: WebhookEvent }) {
  const list = usePolling((signal) => api.listEventDeliveries(ev.id, signal).then((r) => r.data), {
    key: ev.id,
    interval: 3000,
  });
  if (list.error && !list.data)
    return <ErrorBox error={list.error} title="Could not load the deliveries" compact />;
  if (!list.data) return <Spinner label="Loading deliveries" />;
  if (!list.data.data.length)
    return (
      <EmptyState title="No delivery carried this event">
        No endpoint was subscribed to <Mono>{ev.type}</Mono> when it happened (or it was disabled).
      </EmptyState>
    );
  return (
    <ul className="space-y-3" data-testid="event-deliveries">
      {list.data.data.map((d) => (
        <DeliveryCard key={d.id} d={d} onRedelivered={list.refresh} />
      ))}
    </ul>
  );
}

function EventPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const ev = usePolling((signal) => api.getEvent(id, signal).then((r) => r.data), {
    key: id,
    interval: 0,
  });
  const paymentId = ev.data ? paymentIdOfEvent(ev.data) : null;
  return (
    <Card
      data-testid="event-panel"
      title={
        <span className="flex items-center gap-2">
          Event <Mono data-testid="event-panel-id">{id}</Mono>
        </span>
      }
      actions={
        <Button size="sm" variant="ghost" onClick={onClose} aria-label="Close the event">
          <X className="size-4" aria-hidden />
        </Button>
      }
    >
      {ev.error && <ErrorBox error={ev.error} title="Could not load the event" compact />}
      {!ev.data && !ev.error && <Skeleton className="h-40" />}
      {ev.data && (
        <div className="space-y-4">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
            <Mono data-testid="event-panel-type" className="font-semibold">
              {ev.data.type}
            </Mono>
            <span className="text-slate-500">{formatDateTime(ev.data.created_at)}</span>
            {paymentId && (
              <Link
                to={`/payments/${paymentId}`}
                className="font-mono text-[0.8125rem] text-indigo-700 hover:underline"
              >
                {paymentId}
              </Link>
            )}
          </div>
          <div>
            <h3 className="mb-1.5 text-xs font-semibold text-slate-500 uppercase">Body</h3>
            <JsonView value={ev.data} testId="event-body" maxHeight="20rem" />
          </div>
          <div>
            <h3 className="mb-1.5 text-xs font-semibold text-slate-500 uppercase">Deliveries</h3>
            <EventDeliveries ev={ev.data} />
          </div>
        </div>
      )}
    </Card>
  );
}

export function EventsPage({ query }: { query: URLSearchParams }) {
  const q = readEventsQuery(query);
  const write = (next: EventsQuery) => writeEventsQuery(next);
  const now = useNow(5000);
  const key = JSON.stringify([q.type, q.payment, q.limit, q.cursors]);
  const page = usePolling(
    (signal) =>
      api
        .listEvents(
          {
            type: q.type || undefined,
            payment: q.payment || undefined,
            limit: q.limit,
            starting_after: q.cursors[q.cursors.length - 1],
          },
          signal,
        )
        .then((r) => r.data),
    { key },
  );
  const rows = page.data?.data ?? [];
  const pageNo = q.cursors.length + 1;

  return (
    <div>
      <PageHeader
        title="Events"
        subtitle="Every event paygate sent to your webhook endpoints, newest first"
        actions={<LiveIndicator updatedAt={page.updatedAt} failing={page.failures > 0} />}
      />
      <div className={cx("grid gap-4", q.event && "xl:grid-cols-2")}>
        <Card bodyClassName="p-0">
          <div className="flex flex-wrap items-center gap-3 border-b border-slate-100 p-3">
            <label htmlFor="event-type" className="text-sm font-medium text-slate-700">
              Event type
            </label>
            <select
              id="event-type"
              className={cx(inputClass, "w-auto")}
              value={q.type}
              onChange={(e) => write({ ...q, type: e.target.value, cursors: [] })}
            >
              <option value="">All types</option>
              {WEBHOOK_EVENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            {q.payment && (
              <span className="inline-flex items-center gap-1 rounded bg-slate-100 px-2 py-0.5 text-xs">
                payment <Mono>{q.payment}</Mono>
                <button
                  type="button"
                  aria-label="Clear the payment filter"
                  onClick={() => write({ ...q, payment: "", cursors: [] })}
                >
                  <X className="size-3" aria-hidden />
                </button>
              </span>
            )}
          </div>
          {page.error && (
            <ErrorBox
              error={page.error}
              title={page.data ? "Refresh failed — showing the last page" : "Could not load events"}
              compact
              className="m-3"
            />
          )}
          {!page.data && !page.error && (
            <div className="space-y-2 p-4">
              <Skeleton className="h-8" />
              <Skeleton className="h-8" />
              <Skeleton className="h-8" />
            </div>
          )}
          {page.data && rows.length === 0 && (
            <EmptyState icon={<ScrollText className="size-5" />} title="No events">
              {q.type || q.payment
                ? "No event matches the filter."
                : "Events appear when payments, refunds and disputes change state."}
            </EmptyState>
          )}
          {rows.length > 0 && (
            <div className="overflow-x-auto">
              <table
                data-testid="events-table"
                className={cx(
                  "min-w-full divide-y divide-slate-100 text-sm",
                  page.stale && "opacity-60",
                )}
              >
                <thead className="bg-slate-50 text-left text-[0.6875rem] font-semibold tracking-wider text-slate-500 uppercase">
                  <tr>
                    <th scope="col" className="px-4 py-2">
                      Event
                    </th>
                    <th scope="col" className="px-3 py-2">
                      Type
                    </th>
                    <th scope="col" className="hidden px-3 py-2 md:table-cell">
                      Object
                    </th>
                    <th scope="col" className="px-4 py-2 text-right">
                      Created
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {rows.map((ev) => (
                    <tr
                      key={ev.id}
                      data-testid="event-row"
                      data-event-id={ev.id}
                      data-event-type={ev.type}
                      aria-selected={ev.id === q.event}
                      className={cx(
                        "cursor-pointer hover:bg-slate-50",
                        ev.id === q.event && "bg-indigo-50/60",
                      )}
                      onClick={() => write({ ...q, event: ev.id })}
                    >
                      <td className="px-4 py-2">
                        <button
                          type="button"
                          className="font-mono text-[0.8125rem] text-indigo-700 hover:underline"
                          onClick={(e) => {
                            e.stopPropagation();
                            write({ ...q, event: ev.id });
                          }}
                        >
                          {shortId(ev.id, 14, 4)}
                        </button>
                      </td>
                      <td className="px-3 py-2 whitespace-nowrap">
                        <Mono>{ev.type}</Mono>
                      </td>
                      <td className="hidden max-w-xs truncate px-3 py-2 text-xs text-slate-500 md:table-cell">
                        {describeEventObject(ev)}
                      </td>
                      <td
                        className="px-4 py-2 text-right whitespace-nowrap text-slate-500"
                        title={formatDateTime(ev.created_at)}
                      >
                        {formatRelative(ev.created_at, now)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {page.data && (
            <Pager
              limit={q.limit}
              pageNo={pageNo}
              hasMore={page.data.has_more}
              onLimit={(limit) => write({ ...q, limit, cursors: [] })}
              onNewer={() => write({ ...q, cursors: q.cursors.slice(0, -1) })}
              onOlder={() => {
                const last = rows[rows.length - 1];
                if (last) write({ ...q, cursors: [...q.cursors, last.id] });
              }}
            />
          )}
        </Card>
        {q.event && (
          <EventPanel key={q.event} id={q.event} onClose={() => write({ ...q, event: "" })} />
        )}
      </div>
    </div>
  );
}
