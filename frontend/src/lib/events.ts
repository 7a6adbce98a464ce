// The Events page as data: its URL state, and which payment an event is about.

import type { WebhookEvent } from "../api/types";
import { WEBHOOK_EVENT_TYPES } from "../api/types";
import { listQueryParams, readListQuery, type ListQuery } from "./listQuery";
import { navigate } from "./router";

export interface EventsQuery extends Omit<ListQuery<never>, "status"> {
  type: string;
  /** The event shown in the side panel. */
  event: string;
}

export function readEventsQuery(query: URLSearchParams): EventsQuery {
  const { payment, limit, cursors } = readListQuery(query, []);
  const type = query.get("type") ?? "";
  return {
    type: (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type) ? type : "",
    payment,
    limit,
    cursors,
    event: (query.get("event") ?? "").trim(),
  };
}

export function writeEventsQuery(q: EventsQuery) {
  navigate(
    "/events",
    {
      ...listQueryParams({ ...q, status: "" }),
      type: q.type || undefined,
      event: q.event || undefined,
    },
    { replace: true },
  );
}

/** The payment an event is about: the payment itself, or the one a refund or dispute names. */
export function paymentIdOfEvent(ev: WebhookEvent): string | null {
  const data = ev.data ?? {};
  if (data.object === "payment" && typeof data.id === "string") return data.id;
  if (typeof data.payment === "string") return data.payment;
  if (typeof data.payment_id === "string") return data.payment_id;
  return null;
}

/** What the event's object is, in a few words: "payment pay_… SUCCESS". */
export function describeEventObject(ev: WebhookEvent): string {
  const d = ev.data ?? {};
  const parts = [d.object, d.id, d.status].filter((x): x is string => typeof x === "string");
  return parts.join(" ");
}
