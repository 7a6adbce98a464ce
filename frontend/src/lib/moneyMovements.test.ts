import { describe, expect, it } from "vitest";
import {
  buildCaptureBody,
  buildRefundBody,
  canCancel,
  canCapture,
  canRefund,
  checkEvidence,
  defaultRefundForm,
  disputeDeadline,
  idempotencyKeyFor,
  minorToInput,
  movedObjectLabel,
  newestFirst,
  pendingRefunds,
  refundableAmount,
} from "./moneyMovements";

const paid = {
  id: "pay_1",
  status: "SUCCESS" as const,
  amount: 5000,
  currency: "USD",
  amount_captured: 4000,
  amount_refunded: 1000,
};

describe("refundableAmount", () => {
  it("is captured − refunded − pending", () => {
    const refunds = [
      { status: "SUCCEEDED" as const, amount: 1000 },
      { status: "PENDING" as const, amount: 500 },
      { status: "PENDING" as const, amount: 250 },
      { status: "FAILED" as const, amount: 2000 },
    ];
    expect(pendingRefunds(refunds)).toBe(750);
    expect(refundableAmount(paid, refunds)).toBe(4000 - 1000 - 750);
  });

  it("ignores failed refunds and never goes below zero", () => {
    expect(refundableAmount(paid, [{ status: "FAILED", amount: 9999 }])).toBe(3000);
    expect(
      refundableAmount({ amount_captured: 100, amount_refunded: 100 }, [
        { status: "PENDING", amount: 50 },
      ]),
    ).toBe(0);
  });

  it("offers a refund only for SUCCESS payments with something left", () => {
    expect(canRefund(paid, [])).toBe(true);
    expect(canRefund({ ...paid, amount_refunded: 4000 }, [])).toBe(false);
    expect(canRefund(paid, [{ status: "PENDING", amount: 3000 }])).toBe(false);
    expect(canRefund({ ...paid, status: "REQUIRES_CAPTURE" }, [])).toBe(false);
    expect(canRefund({ ...paid, status: "CANCELED" }, [])).toBe(false);
  });
});

describe("capture and cancel", () => {
  it("capture only from REQUIRES_CAPTURE; cancel also from CREATED and RETRYING", () => {
    expect(canCapture({ status: "REQUIRES_CAPTURE" })).toBe(true);
    expect(canCapture({ status: "SUCCESS" })).toBe(false);
    for (const s of ["REQUIRES_CAPTURE", "CREATED", "RETRYING"] as const)
      expect(canCancel({ status: s })).toBe(true);
    for (const s of ["PROCESSING", "SUCCESS", "FAILED", "CANCELED"] as const)
      expect(canCancel({ status: s })).toBe(false);
  });

  it("builds the capture body; blank means the whole authorization", () => {
    const p = { amount: 5000, currency: "USD" };
    expect(buildCaptureBody("", p)).toEqual({ ok: true, body: {}, over: false });
    expect(buildCaptureBody("40.00", p)).toEqual({ ok: true, body: { amount: 4000 }, over: false });
    expect(buildCaptureBody("50", p)).toEqual({ ok: true, body: { amount: 5000 }, over: false });
    // over the authorization: sent anyway (the API answers amount_too_large), but flagged
    expect(buildCaptureBody("50.01", p)).toEqual({ ok: true, body: { amount: 5001 }, over: true });
    expect(buildCaptureBody("1.234", p).ok).toBe(false);
    expect(buildCaptureBody("0", p).ok).toBe(false);
    expect(buildCaptureBody("abc", p).ok).toBe(false);
  });
});

describe("minorToInput", () => {
  it("writes minor units back as the amount a person types", () => {
    expect(minorToInput(1234, "USD")).toBe("12.34");
    expect(minorToInput(5, "USD")).toBe("0.05");
    expect(minorToInput(0, "EUR")).toBe("0.00");
    expect(minorToInput(1234, "JPY")).toBe("1234");
    expect(minorToInput(12345, "KWD")).toBe("12.345");
    expect(minorToInput(-250, "USD")).toBe("-2.50");
  });
});

describe("the refund form", () => {
  it("defaults to everything left to refund", () => {
    expect(defaultRefundForm(paid, [{ status: "PENDING", amount: 500 }])).toEqual({
      amount: "25.00",
      reason: "",
    });
  });

  it("builds the body with the payment, amount and optional reason", () => {
    expect(buildRefundBody({ amount: "15", reason: "" }, paid, [])).toEqual({
      ok: true,
      body: { payment: "pay_1", amount: 1500 },
      over: false,
    });
    expect(buildRefundBody({ amount: "30.00", reason: "duplicate" }, paid, [])).toEqual({
      ok: true,
      body: { payment: "pay_1", amount: 3000, reason: "duplicate" },
      over: false,
    });
  });

  it("lets an over-refund through to the API, flagged", () => {
    const r = buildRefundBody({ amount: "30.01", reason: "" }, paid, []);
    expect(r).toMatchObject({ ok: true, over: true, body: { amount: 3001 } });
  });

  it("refuses malformed amounts", () => {
    for (const amount of ["", "0", "-1", "1.001", "ten"])
      expect(buildRefundBody({ amount, reason: "" }, paid, []).ok).toBe(false);
  });
});

describe("idempotencyKeyFor", () => {
  let n = 0;
  const fresh = () => `k${++n}`;

  it("resends an unanswered request with its key, anything else gets a new one", () => {
    const body = { payment: "pay_1", amount: 100 };
    const first = idempotencyKeyFor(body, null, fresh);
    // no answer came back: the same body keeps the same key
    expect(idempotencyKeyFor({ payment: "pay_1", amount: 100 }, first, fresh)).toEqual(first);
    // a changed body must not reuse it (that would be a 422)
    const other = idempotencyKeyFor({ payment: "pay_1", amount: 200 }, first, fresh);
    expect(other.key).not.toBe(first.key);
    // after an answer the caller passes null: a new key for the same body
    expect(idempotencyKeyFor(body, null, fresh).key).not.toBe(first.key);
  });
});

describe("timeline labels and disputes", () => {
  it("names what moved", () => {
    expect(movedObjectLabel({ object_type: "payment", object_id: "pay_1" })).toBe("Payment");
    expect(movedObjectLabel({ object_type: "refund", object_id: "re_1" })).toBe("Refund re_1");
    expect(movedObjectLabel({ object_type: "dispute", object_id: "dp_1" })).toBe("Dispute dp_1");
  });

  it("places a dispute against its evidence deadline", () => {
    const now = Date.parse("2026-12-01T00:00:00Z");
    const due = (iso: string, status = "NEEDS_RESPONSE" as const) =>
      disputeDeadline({ status, evidence_due_by: iso }, now);
    expect(due("2026-12-08T00:00:00Z")).toBe("open");
    expect(due("2026-12-01T06:00:00Z")).toBe("soon");
    expect(due("2026-11-30T23:59:59Z")).toBe("overdue");
    expect(
      disputeDeadline({ status: "UNDER_REVIEW", evidence_due_by: "2026-11-30T00:00:00Z" }, now),
    ).toBe("closed");
  });

  it("checks evidence text", () => {
    expect(checkEvidence("  ")).toMatch(/evidence/);
    expect(checkEvidence("winning_evidence")).toBeNull();
    expect(checkEvidence("x".repeat(11), 10)).toMatch(/10/);
  });

  it("orders newest first, stable on ties", () => {
    const items = [
      { id: "a", created_at: "2026-12-01T00:00:01Z" },
      { id: "b", created_at: "2026-12-01T00:00:03Z" },
      { id: "c", created_at: "2026-12-01T00:00:01Z" },
    ];
    expect(newestFirst(items).map((x) => x.id)).toEqual(["b", "a", "c"]);
  });
});
