import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/auth";
import type { WebhookEndpoint } from "../api/types";
import { WebhooksPage } from "./Webhooks";

const ENDPOINT: WebhookEndpoint = {
  id: "we_1",
  object: "webhook_endpoint",
  url: "http://127.0.0.1:9/hooks",
  enabled_events: ["payment.succeeded", "payment.failed"],
  description: null,
  status: "disabled",
  disabled_reason: "the last 20 deliveries failed",
  disabled_at: "2026-12-02T12:00:00Z",
  consecutive_failures: 20,
  created_at: "2026-12-01T12:00:00Z",
};

function respond(status: number, body: unknown) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function fakeServer(start: WebhookEndpoint = ENDPOINT) {
  let ep = start;
  const calls: { method: string; url: string; body: unknown }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation((url, init) => {
    const method = init?.method ?? "GET";
    const href = url as string;
    const body = init?.body ? (JSON.parse(init.body as string) as unknown) : undefined;
    calls.push({ method, url: href, body });
    if (href.endsWith("/enable")) ep = { ...ep, status: "enabled", disabled_reason: null };
    else if (href.endsWith("/recover"))
      return Promise.resolve(
        respond(200, { object: "recovery", endpoint: ep.id, since: "x", count: 3 }),
      );
    else if (method === "POST" && href.endsWith(`/v1/webhook_endpoints/${ep.id}`))
      ep = { ...ep, ...(body as Partial<WebhookEndpoint>) };
    if (method === "POST") return Promise.resolve(respond(200, ep));
    return Promise.resolve(
      respond(200, { object: "list", url: "/v1/webhook_endpoints", data: [ep], has_more: false }),
    );
  });
  return calls;
}

describe("WebhooksPage endpoint controls", () => {
  beforeEach(() => setApiKey("sk_test_demo"));

  it("shows a disabled endpoint with its reason and enables it", async () => {
    const calls = fakeServer();
    render(<WebhooksPage />);
    const status = await screen.findByTestId("endpoint-status");
    expect(status.textContent).toContain("disabled");
    expect(screen.getByTestId("endpoint-disabled-reason").textContent).toContain(
      "the last 20 deliveries failed",
    );
    fireEvent.click(screen.getByRole("button", { name: "Recover since…" }));
    expect(screen.getByRole<HTMLButtonElement>("button", { name: "Recover" }).disabled).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Enable" }));
    await waitFor(() =>
      expect(screen.getByTestId("endpoint-status").textContent).toContain("enabled"),
    );
    expect(
      calls.some((c) => c.method === "POST" && c.url.endsWith("/v1/webhook_endpoints/we_1/enable")),
    ).toBe(true);
    expect(screen.queryByRole("button", { name: "Enable" })).toBeNull();
    expect(screen.queryByTestId("endpoint-disabled-reason")).toBeNull();
  });

  it("edits the enabled events", async () => {
    const calls = fakeServer();
    render(<WebhooksPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Edit events" }));
    const editor = screen.getByTestId("enabled-events-editor");
    const save = within(editor).getByRole("button", { name: "Save events" });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(editor).getByRole("checkbox", { name: "payment.failed" }));
    fireEvent.click(within(editor).getByRole("checkbox", { name: "refund.failed" }));
    fireEvent.click(save);
    await waitFor(() => expect(screen.queryByTestId("enabled-events-editor")).toBeNull());
    const update = calls.find(
      (c) => c.method === "POST" && c.url.endsWith("/webhook_endpoints/we_1"),
    );
    expect(update?.body).toEqual({ enabled_events: ["payment.succeeded", "refund.failed"] });
    await waitFor(() =>
      expect(screen.getByTestId("endpoint-events").textContent).toContain("refund.failed"),
    );
  });

  it("recovers since a time and shows how many were sent again", async () => {
    const calls = fakeServer({ ...ENDPOINT, status: "enabled", disabled_reason: null });
    render(<WebhooksPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Recover since…" }));
    fireEvent.change(screen.getByLabelText("Recover since"), {
      target: { value: "2026-12-02T09:30" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Recover" }));
    expect((await screen.findByTestId("recover-count")).textContent).toBe("3");
    expect(screen.queryByRole("button", { name: "Enable" })).toBeNull();
    const recover = calls.find((c) => c.url.endsWith("/recover"));
    expect(recover?.body).toEqual({ since: new Date(2026, 11, 2, 9, 30).toISOString() });
  });
});
