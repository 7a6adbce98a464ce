import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setApiKey } from "../api/auth";
import { DisputesPage } from "./MoneyLists";

function emptyLists() {
  vi.spyOn(globalThis, "fetch").mockImplementation(() =>
    Promise.resolve(
      new Response(JSON.stringify({ object: "list", url: "", data: [], has_more: false }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      }),
    ),
  );
}

function queryOfHash(): URLSearchParams {
  return new URLSearchParams(window.location.hash.split("?")[1] ?? "");
}

describe("DisputesPage", () => {
  beforeEach(() => {
    setApiKey("sk_test_demo");
    window.location.hash = "#/disputes";
  });

  it("keeps a status picked while the typed payment filter waits for its pause", async () => {
    emptyLists();
    const view = render(<DisputesPage query={queryOfHash()} />);
    fireEvent.change(screen.getByTestId("payment-filter"), { target: { value: "pay_01ABC" } });
    // within the pause: pick a status (the app renders the page again with the new query)
    fireEvent.click(screen.getByRole("radio", { name: "Needs response" }));
    expect(window.location.hash).toContain("status=NEEDS_RESPONSE");
    view.rerender(<DisputesPage query={queryOfHash()} />);
    await waitFor(() => expect(window.location.hash).toContain("payment=pay_01ABC"));
    expect(window.location.hash).toContain("status=NEEDS_RESPONSE");
  });
});
