import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/auth";
import type { WebhookDelivery, WebhookEvent } from "../api/types";
import { EventsPage } from "./Events";

const EVENT: WebhookEvent = {
  id: "evt_01SUCCEEDED",
  type: "payment.succeeded",
  created_at: "2026-12-02T12:00:00Z",
  data: { object: "payment", id: "pay_01", status: "SUCCESS", amount: 1234 },
};

const DELIVERY: WebhookDelivery = {
  id: "wd_01",
  object: "webhook_delivery",
  payment_id: "pay_01",
  endpoint_id: "we_1",
  endpoint_url: "http://127.0.0.1:9/hooks",
  event_id: EVENT.id,
  event_type: EVENT.type,
  status: "FAILED",
  attempt_count: 2,
  created_at: "2026-12-02T12:00:00Z",
  updated_at: "2026-12-02T12:00:05Z",
  payload: EVENT,
  attempts: [
    {
      attempt: 1,
      round: 0,
      at: "2026-12-02T12:00:01Z",
      status_code: 500,
      duration_ms: 12,
      error: null,
    },
    {
      attempt: 2,
      round: 0,
      at: "2026-12-02T12:00:05Z",
      status_code: 500,
      duration_ms: 9,
      error: null,
    },
  ],
};

function respond(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function fakeServer() {
  const calls: { method: string; url: string }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation((url, init) => {
    const method = init?.method ?? "GET";
    const href = url as string;
    calls.push({ method, url: href });
    if (href.includes("/redeliver")) return Promise.resolve(respond(200, DELIVERY));
    if (href.endsWith("/deliveries"))
      return Promise.resolve(
        respond(200, { object: "list", url: "", data: [DELIVERY], has_more: false }),
      );
    if (href.startsWith(`/v1/events/${EVENT.id}`)) return Promise.resolve(respond(200, EVENT));
    return Promise.resolve(
      respond(200, { object: "list", url: "", data: [EVENT], has_more: true }),
    );
  });
  return calls;
}

describe("EventsPage", () => {
  beforeEach(() => {
    setApiKey("sk_test_demo");
    window.location.hash = "#/events";
  });

  it("lists events with a pager and filters by type through the URL", async () => {
    const calls = fakeServer();
    render(<EventsPage query={new URLSearchParams("type=payment.succeeded")} />);
    const row = await screen.findByTestId("event-row");
    expect(row.getAttribute("data-event-id")).toBe(EVENT.id);
    expect(calls[0].url).toBe("/v1/events?type=payment.succeeded&limit=25");
    expect(screen.getByRole<HTMLButtonElement>("button", { name: /Older/ }).disabled).toBe(false);
    fireEvent.change(screen.getByLabelText("Event type"), { target: { value: "refund.failed" } });
    expect(window.location.hash).toBe("#/events?type=refund.failed");
    fireEvent.click(screen.getByRole("button", { name: /Older/ }));
    expect(window.location.hash).toContain(`after=${EVENT.id}`);
  });

  it("opens an event: its body, its deliveries with their attempts, and a resend", async () => {
    const calls = fakeServer();
    render(<EventsPage query={new URLSearchParams(`event=${EVENT.id}`)} />);
    const panel = await screen.findByTestId("event-panel");
    await waitFor(() =>
      expect(within(panel).getByTestId("event-body").textContent).toContain("pay_01"),
    );
    const delivery = await within(panel).findByTestId("webhook-delivery");
    expect(within(delivery).getAllByTestId("delivery-attempt")).toHaveLength(2);
    fireEvent.click(within(delivery).getByRole("button", { name: /Redeliver/ }));
    expect(await within(delivery).findByText("redelivery queued")).toBeTruthy();
    expect(
      calls.some((c) => c.method === "POST" && c.url === "/v1/webhook_deliveries/wd_01/redeliver"),
    ).toBe(true);
  });
});
