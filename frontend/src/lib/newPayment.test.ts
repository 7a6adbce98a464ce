import { describe, expect, it } from "vitest";
import { buildCreateBody, defaultForm, newIdempotencyKey } from "./newPayment";

describe("newIdempotencyKey", () => {
  it("makes distinct UUID v4 keys", () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newIdempotencyKey()).not.toBe(a);
  });
});

describe("buildCreateBody", () => {
  it("builds a card payment in minor units", () => {
    const r = buildCreateBody({ ...defaultForm(), idempotencyKey: "k1", description: " lunch " });
    expect(r).toEqual({
      ok: true,
      key: "k1",
      body: {
        amount: 1234,
        currency: "USD",
        payment_method: { type: "card", card_number: "4242424242424242" },
        user_id: "user_1",
        description: "lunch",
      },
    });
  });

  it("builds UPI and wallet payments with a scenario", () => {
    const upi = buildCreateBody({
      ...defaultForm(),
      method: "upi",
      vpa: "timeout@paygate",
      currency: "INR",
      amount: "500",
      scenario: "timeout",
    });
    expect(upi.ok && upi.body).toMatchObject({
      amount: 50000,
      currency: "INR",
      payment_method: { type: "upi", vpa: "timeout@paygate" },
      scenario: "timeout",
    });
    const wallet = buildCreateBody({
      ...defaultForm(),
      method: "wallet",
      wallet: "paytm",
      currency: "JPY",
      amount: "1234",
    });
    expect(wallet.ok && wallet.body).toMatchObject({
      amount: 1234,
      payment_method: { type: "wallet", wallet: "paytm" },
    });
  });

  it("asks for manual capture only when chosen", () => {
    const auto = buildCreateBody({ ...defaultForm(), idempotencyKey: "k" });
    expect(auto.ok && "capture_method" in auto.body).toBe(false);
    const manual = buildCreateBody({ ...defaultForm(), captureMethod: "manual" });
    expect(manual.ok && manual.body.capture_method).toBe("manual");
  });

  it("reports every field problem at once", () => {
    const r = buildCreateBody({
      ...defaultForm(),
      amount: "1.5",
      currency: "JPY",
      userId: " ",
      cardNumber: "42",
      idempotencyKey: "",
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(Object.keys(r.errors).sort()).toEqual([
        "amount",
        "cardNumber",
        "idempotencyKey",
        "userId",
      ]);
  });

  it("refuses non-printable idempotency keys and keys over 255 characters", () => {
    expect(buildCreateBody({ ...defaultForm(), idempotencyKey: "a\u0001b" }).ok).toBe(false);
    expect(buildCreateBody({ ...defaultForm(), idempotencyKey: "x".repeat(256) }).ok).toBe(false);
    expect(buildCreateBody({ ...defaultForm(), idempotencyKey: "x".repeat(255) }).ok).toBe(true);
  });
});

describe("scripted attempts", () => {
  it("sends simulate only when a script or a latency is given", () => {
    const plain = buildCreateBody(defaultForm());
    expect(plain.ok && "simulate" in plain.body).toBe(false);
    const scripted = buildCreateBody({
      ...defaultForm(),
      attempts: ["timeout", "decline:insufficient_funds"],
      gatewayLatencyMs: "250",
    });
    expect(scripted.ok && scripted.body.simulate).toEqual({
      attempts: ["timeout", "decline:insufficient_funds"],
      gateway_latency_ms: 250,
    });
    const latencyOnly = buildCreateBody({ ...defaultForm(), gatewayLatencyMs: "0" });
    expect(latencyOnly.ok && latencyOnly.body.simulate).toEqual({ gateway_latency_ms: 0 });
  });

  it("refuses a latency that is not whole milliseconds", () => {
    const r = buildCreateBody({ ...defaultForm(), gatewayLatencyMs: "1.5" });
    expect(r).toEqual({ ok: false, errors: { gatewayLatencyMs: "Whole milliseconds, 0 or more" } });
  });
});
