import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/auth";
import type { Simulator } from "../api/types";
import { SimulatorBanner } from "../components/SimulatorBanner";
import { SimulatorProvider } from "../hooks/useSimulator";
import { SimulatorPage } from "./Simulator";

const DEFAULTS: Simulator = {
  object: "simulator",
  version: 0,
  updated_at: null,
  expires_at: null,
  is_default: true,
  seed: null,
  outcome_weights: { success: 70, timeout: 15, hard_failure: 15 },
  gateway_latency_ms: { min: 5, max: 40 },
  api: { error_rate: 0, error_mode: "before_commit", latency_ms: { min: 0, max: 0 } },
  webhooks: {
    drop_rate: 0,
    duplicate_rate: 0,
    bad_signature_rate: 0,
    delay_ms: { min: 0, max: 0 },
  },
};

function respond(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** A tiny /v1/simulator: GET answers the current object, PUT and DELETE change it. */
function fakeServer(opts: { refusePut?: { param: string; message: string } } = {}) {
  let current: Simulator = DEFAULTS;
  const calls: { method: string; body: unknown }[] = [];
  const fetch = vi.spyOn(globalThis, "fetch").mockImplementation((_url, init) => {
    const method = init?.method ?? "GET";
    const body = init?.body ? (JSON.parse(init.body as string) as unknown) : undefined;
    calls.push({ method, body });
    if (method === "PUT") {
      if (opts.refusePut)
        return Promise.resolve(
          respond(400, {
            error: {
              type: "invalid_request_error",
              code: "parameter_invalid",
              message: opts.refusePut.message,
              param: opts.refusePut.param,
            },
          }),
        );
      current = {
        ...(body as Simulator),
        object: "simulator",
        version: current.version + 1,
        updated_at: "2026-12-02T12:00:00Z",
        is_default: false,
      };
    } else if (method === "DELETE") {
      current = { ...DEFAULTS, version: current.version + 1 };
    }
    return Promise.resolve(respond(200, current));
  });
  return { fetch, calls };
}

function renderPage() {
  return render(
    <SimulatorProvider>
      <SimulatorBanner />
      <SimulatorPage />
    </SimulatorProvider>,
  );
}

describe("SimulatorPage", () => {
  beforeEach(() => setApiKey("sk_test_demo"));

  it("saves the whole object, shows the new version and the banner, then resets", async () => {
    const { calls } = fakeServer();
    renderPage();
    expect((await screen.findByTestId("simulator-version")).textContent).toBe("0");
    expect(screen.queryByTestId("simulator-banner")).toBeNull();

    fireEvent.change(screen.getByLabelText("API error rate"), { target: { value: "1" } });
    fireEvent.change(screen.getByLabelText("API error mode"), {
      target: { value: "after_commit" },
    });
    fireEvent.change(screen.getByLabelText("Duplicate rate slider"), {
      target: { value: "0.5" },
    });
    fireEvent.change(screen.getByLabelText("Seed"), { target: { value: "7" } });
    fireEvent.click(screen.getByRole("button", { name: "10 min" }));
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));

    await waitFor(() => expect(screen.getByTestId("simulator-version").textContent).toBe("1"));
    const put = calls.find((c) => c.method === "PUT")!.body as Simulator;
    expect(put).toMatchObject({
      seed: 7,
      outcome_weights: { success: 70, timeout: 15, hard_failure: 15 },
      gateway_latency_ms: { min: 5, max: 40 },
      api: { error_rate: 1, error_mode: "after_commit", latency_ms: { min: 0, max: 0 } },
      webhooks: { duplicate_rate: 0.5, drop_rate: 0, bad_signature_rate: 0 },
    });
    expect(Date.parse(put.expires_at!) - Date.now()).toBeGreaterThan(9 * 60_000);
    const banner = await screen.findByTestId("simulator-banner");
    expect(banner.textContent).toContain("API errors 100% (after commit)");
    expect(banner.textContent).toContain("webhook duplicates 50%");
    expect(within(banner).getByRole("link", { name: "Open the Simulator" })).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Reset to defaults" }));
    await waitFor(() => expect(screen.queryByTestId("simulator-banner")).toBeNull());
    expect(calls.some((c) => c.method === "DELETE")).toBe(true);
    expect(screen.getByLabelText<HTMLInputElement>("API error rate").value).toBe("0");
    expect(screen.getByTestId("simulator-version").textContent).toBe("2");
  });

  it("shows the API's validation error next to the field its param names", async () => {
    fakeServer({
      refusePut: { param: "webhooks.drop_rate", message: "webhooks.drop_rate: must be at most 1" },
    });
    renderPage();
    await screen.findByTestId("simulator-version");
    fireEvent.change(screen.getByLabelText("Drop rate"), { target: { value: "3" } });
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));
    const fieldError = await screen.findByText("webhooks.drop_rate: must be at most 1", {
      selector: "#sim-webhooks-drop_rate-error",
    });
    expect(fieldError).toBeTruthy();
    expect(screen.getByLabelText("Drop rate").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("api-error-code").textContent).toBe("parameter_invalid");
    expect(screen.getByTestId("simulator-version").textContent).toBe("0");
  });

  it("does not send a form with a dial that is not a number", async () => {
    const { calls } = fakeServer();
    renderPage();
    await screen.findByTestId("simulator-version");
    fireEvent.change(screen.getByLabelText("Gateway latency max (ms)"), {
      target: { value: "soon" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByText("Enter a number")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PUT")).toHaveLength(0);
  });
});
