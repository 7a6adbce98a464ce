import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/auth";
import type { Dispute, PaymentDetail, Refund } from "../api/types";
import { Timeline } from "../pages/PaymentDetail";
import { AuthorizationPanel } from "./AuthorizationPanel";
import { DisputePanel } from "./DisputePanel";
import { RefundPanel } from "./RefundPanel";

const PAYMENT: PaymentDetail = {
  id: "pay_01TEST",
  object: "payment",
  amount: 5000,
  currency: "USD",
  payment_method: { type: "card", brand: "visa", last4: "4242" },
  user_id: "user_1",
  description: null,
  status: "SUCCESS",
  capture_method: "manual",
  amount_captured: 4000,
  amount_refunded: 1000,
  cancellation_reason: null,
  authorization_expires_at: null,
  attempts: 1,
  max_attempts: 3,
  retry_count: 0,
  failure: null,
  webhook_status: "SUCCESS",
  idempotency_key: "k",
  metadata: {},
  scenario: null,
  simulate: null,
  created_at: "2026-11-28T07:00:00.000Z",
  updated_at: "2026-11-28T07:00:01.000Z",
  finalized_at: "2026-11-28T07:00:01.000Z",
  events: [],
  webhook_deliveries: [],
  refunds: [],
  dispute: null,
};

function refund(change: Partial<Pick<Refund, "id" | "status" | "amount">>): Refund {
  return {
    id: "re_01",
    object: "refund",
    payment: PAYMENT.id,
    amount: 1000,
    currency: "USD",
    reason: null,
    status: "SUCCEEDED",
    failure: null,
    idempotency_key: "rk",
    metadata: {},
    created_at: "2026-11-28T07:01:00.000Z",
    updated_at: "2026-11-28T07:01:01.000Z",
    ...change,
  };
}

function respond(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function sent(fetch: { mock: { calls: unknown[][] } }, i: number) {
  const [url, init] = fetch.mock.calls[i] as [string, RequestInit];
  return {
    url,
    method: init.method,
    key: (init.headers as Record<string, string>)["Idempotency-Key"],
    body: init.body ? (JSON.parse(init.body as string) as unknown) : undefined,
  };
}

beforeEach(() => setApiKey("sk_test_demo"));

describe("RefundPanel", () => {
  it("offers what is left, sends the refund with a key, and shows an over-refund's code", async () => {
    const p = {
      ...PAYMENT,
      refunds: [refund({}), refund({ id: "re_02", status: "PENDING", amount: 500 })],
    };
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(respond(201, refund({ id: "re_03", status: "PENDING" })))
      .mockResolvedValueOnce(
        respond(400, {
          error: {
            type: "invalid_request_error",
            code: "amount_too_large",
            message: "more than is left to refund",
            param: "amount",
          },
        }),
      );
    const onChanged = vi.fn();
    render(<RefundPanel payment={p} onChanged={onChanged} />);
    expect(screen.getByTestId("amount-refundable").textContent).toBe("$25.00");
    expect(screen.getByTestId("amount-pending").textContent).toBe("$5.00");
    expect(screen.getAllByTestId("refund-row")).toHaveLength(2);
    const amount = screen.getByLabelText<HTMLInputElement>("Refund amount");
    expect(amount.value).toBe("25.00");

    fireEvent.change(amount, { target: { value: "10" } });
    fireEvent.change(screen.getByLabelText("Refund reason"), { target: { value: "duplicate" } });
    fireEvent.click(screen.getByRole("button", { name: "Refund" }));
    await screen.findByTestId("refund-created");
    const first = sent(fetch, 0);
    expect(first).toMatchObject({
      url: "/v1/refunds",
      method: "POST",
      body: { payment: "pay_01TEST", amount: 1000, reason: "duplicate" },
    });
    expect(first.key).toBeTruthy();
    expect(onChanged).toHaveBeenCalledTimes(1);

    // over what is left: sent anyway, flagged, and the API's answer shown with its code
    fireEvent.change(amount, { target: { value: "25.01" } });
    expect(screen.getByText(/the API will refuse it/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Refund" }));
    expect((await screen.findByTestId("api-error-code")).textContent).toBe("amount_too_large");
    expect(sent(fetch, 1).key).not.toBe(first.key);
  });

  it("resends an unanswered refund with the same Idempotency-Key", async () => {
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockRejectedValueOnce(new TypeError("Failed to fetch"))
      .mockResolvedValueOnce(respond(201, refund({ id: "re_09", status: "PENDING" })));
    render(<RefundPanel payment={PAYMENT} onChanged={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Refund" }));
    expect((await screen.findByTestId("api-error-code")).textContent).toBe("network_error");
    fireEvent.click(screen.getByRole("button", { name: "Refund" }));
    await screen.findByTestId("refund-created");
    expect(sent(fetch, 1).key).toBe(sent(fetch, 0).key);
  });

  it("has no form when nothing is left to refund", () => {
    render(<RefundPanel payment={{ ...PAYMENT, amount_refunded: 4000 }} onChanged={() => {}} />);
    expect(screen.queryByTestId("refund-form")).toBeNull();
    expect(screen.getByTestId("refund-none-left")).toBeTruthy();
  });
});

describe("AuthorizationPanel", () => {
  it("captures a partial amount and cancels with a reason", async () => {
    const held = {
      ...PAYMENT,
      status: "REQUIRES_CAPTURE" as const,
      amount_captured: 0,
      amount_refunded: 0,
      authorization_expires_at: "2026-12-05T07:00:00.000Z",
    };
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(respond(200, { ...held, status: "SUCCESS", amount_captured: 4000 }))
      .mockResolvedValueOnce(respond(200, { ...held, status: "CANCELED" }));
    render(<AuthorizationPanel payment={held} onChanged={() => {}} />);
    const amount = screen.getByLabelText<HTMLInputElement>("Amount to capture");
    expect(amount.value).toBe("50.00");
    expect(screen.getByTestId("authorization-expires")).toBeTruthy();
    fireEvent.change(amount, { target: { value: "40" } });
    fireEvent.click(screen.getByRole("button", { name: "Capture" }));
    expect((await screen.findByTestId("authorization-done")).textContent).toContain("$40.00");
    expect(sent(fetch, 0)).toMatchObject({
      url: "/v1/payments/pay_01TEST/capture",
      body: { amount: 4000 },
    });

    fireEvent.change(screen.getByLabelText("Cancellation reason"), {
      target: { value: "abandoned" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Cancel payment" }));
    await waitFor(() =>
      expect(screen.getByTestId("authorization-done").textContent).toContain("CANCELED"),
    );
    expect(sent(fetch, 1)).toMatchObject({
      url: "/v1/payments/pay_01TEST/cancel",
      body: { reason: "abandoned" },
    });
  });

  it("offers only Cancel before the gateway answered, and nothing once final", () => {
    const { rerender } = render(
      <AuthorizationPanel payment={{ ...PAYMENT, status: "RETRYING" }} onChanged={() => {}} />,
    );
    expect(screen.queryByRole("button", { name: "Capture" })).toBeNull();
    expect(screen.getByRole("button", { name: "Cancel payment" })).toBeTruthy();
    rerender(<AuthorizationPanel payment={PAYMENT} onChanged={() => {}} />);
    expect(screen.queryByTestId("authorization-panel")).toBeNull();
  });
});

describe("DisputePanel", () => {
  const dispute: Dispute = {
    id: "dp_01",
    object: "dispute",
    payment: PAYMENT.id,
    amount: 5000,
    currency: "USD",
    reason: "fraudulent",
    status: "NEEDS_RESPONSE",
    evidence: null,
    evidence_due_by: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    closed_at: null,
  };

  it("shows the deadline, refuses blank evidence, then sends it", async () => {
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(respond(200, { ...dispute, status: "UNDER_REVIEW" }));
    render(<DisputePanel dispute={dispute} onChanged={() => {}} />);
    expect(screen.getByTestId("dispute-deadline").dataset.state).toBe("open");
    expect(screen.getByTestId("dispute-deadline-relative").textContent).toMatch(/in [67]d/);
    fireEvent.click(screen.getByRole("button", { name: "Submit evidence" }));
    expect(screen.getByText("Write the evidence first")).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText("Evidence"), {
      target: { value: "winning_evidence: signed receipt" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Submit evidence" }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(sent(fetch, 0)).toMatchObject({
      url: "/v1/disputes/dp_01/evidence",
      body: { text: "winning_evidence: signed receipt" },
    });
  });

  it("accepts a dispute only after a confirmation, and has no form once answered", async () => {
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(respond(200, { ...dispute, status: "LOST" }));
    const { rerender } = render(<DisputePanel dispute={dispute} onChanged={() => {}} />);
    fireEvent.click(screen.getByRole("button", { name: "Accept dispute" }));
    expect(fetch).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Confirm accept" }));
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    expect(sent(fetch, 0).url).toBe("/v1/disputes/dp_01/close");
    rerender(<DisputePanel dispute={{ ...dispute, status: "WON" }} onChanged={() => {}} />);
    expect(screen.queryByTestId("dispute-evidence-form")).toBeNull();
    expect(screen.getByTestId("dispute-outcome").textContent).toContain("Won");
  });
});

describe("Timeline", () => {
  it("labels refund and dispute moves by what moved", () => {
    const base = {
      object: "payment_event" as const,
      at: "2026-11-28T07:00:01.000Z",
      generation: null,
      reason: null,
      actor: "api",
      qstash_message_id: null,
    };
    render(
      <Timeline
        createdAt={PAYMENT.created_at}
        events={[
          {
            ...base,
            id: "e1",
            object_type: "payment",
            object_id: PAYMENT.id,
            from: "PROCESSING",
            to: "SUCCESS",
            attempt: 1,
          },
          {
            ...base,
            id: "e2",
            object_type: "refund",
            object_id: "re_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX",
            from: "PENDING",
            to: "SUCCEEDED",
            attempt: null,
          },
          {
            ...base,
            id: "e3",
            object_type: "dispute",
            object_id: "dp_01",
            from: null,
            to: "NEEDS_RESPONSE",
            attempt: null,
          },
        ]}
      />,
    );
    const labels = screen.getAllByTestId("timeline-object").map((e) => e.textContent);
    expect(labels).toEqual(["Payment", "Refund re_01JDV…K1QX", "Dispute dp_01"]);
    const moves = screen.getAllByTestId("timeline-event");
    expect(moves.map((m) => m.dataset.objectType)).toEqual(["payment", "refund", "dispute"]);
    expect(moves[0].textContent).toContain("attempt 1");
    expect(moves[1].textContent).not.toContain("attempt");
  });
});
