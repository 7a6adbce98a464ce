import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { ErrorBox } from "./ErrorBox";

describe("ErrorBox", () => {
  it("shows the code, status, param, message and a hint for known codes", () => {
    const err = new ApiError({
      status: 422,
      code: "idempotency_key_reused",
      type: "idempotency_error",
      message: "Keys can only be reused with the same body.",
      param: "Idempotency-Key",
    });
    render(<ErrorBox error={err} />);
    const box = screen.getByRole("alert");
    expect(screen.getByTestId("api-error-code").textContent).toBe("idempotency_key_reused");
    expect(box.textContent).toContain("HTTP 422");
    expect(box.textContent).toContain("Idempotency-Key");
    expect(screen.getByTestId("api-error-message").textContent).toBe(
      "Keys can only be reused with the same body.",
    );
    expect(box.textContent).toContain("Send the original body");
  });

  it("does not print a status for network errors, and shows Retry-After", () => {
    render(
      <ErrorBox
        error={
          new ApiError({
            status: 0,
            code: "network_error",
            type: "network_error",
            message: "Could not reach the API",
          })
        }
      />,
    );
    expect(screen.getByRole("alert").textContent).not.toContain("HTTP");
    render(
      <ErrorBox
        error={
          new ApiError({
            status: 429,
            code: "rate_limited",
            type: "rate_limit_error",
            message: "slow",
            retryAfter: 2,
          })
        }
      />,
    );
    expect(screen.getByText("Retry after 2s.")).toBeTruthy();
  });
});
