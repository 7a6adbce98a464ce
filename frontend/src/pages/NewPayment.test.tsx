import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/auth";
import { NewPaymentPage } from "./NewPayment";

const PAYMENT = {
  id: "pay_01TEST",
  object: "payment",
  amount: 1234,
  currency: "USD",
  payment_method: { type: "card", brand: "visa", last4: "4242" },
  user_id: "user_1",
  description: null,
  status: "CREATED",
  attempts: 0,
  max_attempts: 3,
  retry_count: 0,
  failure: null,
  webhook_status: "PENDING",
  idempotency_key: "k",
  metadata: {},
  scenario: null,
  created_at: "2026-11-28T07:00:00.000Z",
  updated_at: "2026-11-28T07:00:00.000Z",
  finalized_at: null,
};

function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

describe("NewPaymentPage", () => {
  beforeEach(() => setApiKey("sk_test_demo"));

  it("sends the form with the idempotency key, then shows a replay, then a 422 with its code", async () => {
    const fetch = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(respond(201, PAYMENT))
      .mockResolvedValueOnce(respond(201, PAYMENT, { "Idempotent-Replayed": "true" }))
      .mockResolvedValueOnce(
        respond(422, {
          error: {
            type: "idempotency_error",
            code: "idempotency_key_reused",
            message: "This key was used with a different body.",
            param: null,
          },
        }),
      );
    render(<NewPaymentPage />);
    fireEvent.change(screen.getByLabelText("Idempotency key", { exact: true }), {
      target: { value: "my-key" },
    });
    fireEvent.change(screen.getByLabelText("Scenario"), { target: { value: "timeout" } });

    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    await screen.findByText("Payment created");
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/v1/payments");
    expect((init.headers as Record<string, string>)["Idempotency-Key"]).toBe("my-key");
    expect(JSON.parse(init.body as string)).toEqual({
      amount: 1234,
      currency: "USD",
      payment_method: { type: "card", card_number: "4242424242424242" },
      user_id: "user_1",
      scenario: "timeout",
    });
    expect(screen.queryByTestId("replayed-badge")).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    expect((await screen.findByTestId("replayed-badge")).textContent?.trim()).toBe("replayed");

    fireEvent.change(screen.getByLabelText("Amount"), { target: { value: "12.35" } });
    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    const code = await screen.findByTestId("api-error-code");
    expect(code.textContent).toBe("idempotency_key_reused");
    expect(screen.getByTestId("api-error").textContent).toContain("HTTP 422");
    expect(screen.getByTestId("api-error").textContent).toContain(
      "This key was used with a different body.",
    );
    expect(screen.getAllByTestId("request-log-entry")).toHaveLength(3);
  });

  it("does not call the API when the form is invalid, and says why", async () => {
    const fetch = vi.spyOn(globalThis, "fetch");
    render(<NewPaymentPage />);
    fireEvent.change(screen.getByLabelText("Currency"), { target: { value: "JPY" } });
    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    await waitFor(() =>
      expect(screen.getByText("JPY has no minor unit: use a whole number")).toBeTruthy(),
    );
    expect(fetch).not.toHaveBeenCalled();
  });

  it("fills a magic test value when it is clicked", () => {
    render(<NewPaymentPage />);
    fireEvent.click(screen.getByRole("button", { name: /timeout@paygate/ }));
    expect(screen.getByLabelText<HTMLInputElement>("UPI VPA").value).toBe("timeout@paygate");
  });

  it("asks for manual capture when chosen, and lists the dispute and refund-failure cards", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(respond(201, PAYMENT));
    render(<NewPaymentPage />);
    expect(screen.getByRole("button", { name: /4000000000000259.*disputed/ })).toBeTruthy();
    expect(screen.getByRole("button", { name: /4000000000005126.*refund fails/ })).toBeTruthy();
    expect(screen.getByRole<HTMLInputElement>("radio", { name: "Automatic" }).checked).toBe(true);
    fireEvent.click(screen.getByRole("radio", { name: "Manual" }));
    expect(screen.getByText(/stops at REQUIRES_CAPTURE/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    await screen.findByText("Payment created");
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toMatchObject({ capture_method: "manual" });
  });

  it("scripts attempts: add, change and remove entries, with a gateway latency", async () => {
    const fetch = vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(respond(201, PAYMENT));
    render(<NewPaymentPage />);
    fireEvent.click(screen.getByRole("button", { name: "Add attempt" }));
    fireEvent.click(screen.getByRole("button", { name: "Add attempt" }));
    fireEvent.click(screen.getByRole("button", { name: "Add attempt" }));
    expect(screen.getAllByTestId("attempt-entry")).toHaveLength(3);
    fireEvent.change(screen.getByLabelText("Attempt 2"), {
      target: { value: "decline:insufficient_funds" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Remove attempt 3" }));
    fireEvent.change(screen.getByLabelText("Gateway latency (ms)"), { target: { value: "250" } });
    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    await screen.findByText("Payment created");
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toMatchObject({
      simulate: { attempts: ["timeout", "decline:insufficient_funds"], gateway_latency_ms: 250 },
    });
  });

  it("shows a simulated outage as the API's 503 with what to do", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValueOnce(
      respond(
        503,
        {
          error: {
            type: "api_error",
            code: "simulated_outage",
            message: "Simulated outage (simulator api.error_rate)",
          },
        },
        { "Retry-After": "1" },
      ),
    );
    render(<NewPaymentPage />);
    fireEvent.click(screen.getByRole("button", { name: "Create payment" }));
    expect((await screen.findByTestId("api-error-code")).textContent).toBe("simulated_outage");
    expect(screen.getByTestId("api-error").textContent).toContain("HTTP 503");
    expect(screen.getByTestId("api-error").textContent).toContain("Simulator");
  });
});
