import { describe, expect, it } from "vitest";
import { describeEventObject, paymentIdOfEvent, readEventsQuery } from "./events";

const ev = (data: Record<string, unknown>) => ({
  id: "evt_1",
  type: "payment.succeeded",
  created_at: "2026-12-02T12:00:00Z",
  data,
});

describe("events", () => {
  it("finds the payment of a payment, refund or dispute event", () => {
    expect(paymentIdOfEvent(ev({ object: "payment", id: "pay_1" }))).toBe("pay_1");
    expect(paymentIdOfEvent(ev({ object: "refund", id: "re_1", payment: "pay_2" }))).toBe("pay_2");
    expect(paymentIdOfEvent(ev({ object: "dispute", id: "dp_1", payment: "pay_3" }))).toBe("pay_3");
    expect(paymentIdOfEvent(ev({ object: "thing" }))).toBeNull();
  });

  it("describes the object it carries", () => {
    expect(describeEventObject(ev({ object: "payment", id: "pay_1", status: "SUCCESS" }))).toBe(
      "payment pay_1 SUCCESS",
    );
  });

  it("reads the URL state, dropping an unknown type", () => {
    const q = readEventsQuery(
      new URLSearchParams("type=payment.failed&limit=50&after=evt_a,evt_b&event=evt_x"),
    );
    expect(q).toEqual({
      type: "payment.failed",
      payment: "",
      limit: 50,
      cursors: ["evt_a", "evt_b"],
      event: "evt_x",
    });
    expect(readEventsQuery(new URLSearchParams("type=nope")).type).toBe("");
  });
});
