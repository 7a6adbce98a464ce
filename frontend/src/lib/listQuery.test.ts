import { describe, expect, it } from "vitest";
import { listQueryParams, paymentFilterError, readListQuery, statusLabel } from "./listQuery";

const STATUSES = ["PENDING", "SUCCEEDED", "FAILED"] as const;

describe("readListQuery", () => {
  it("reads status, payment, page size and cursors from the URL", () => {
    const q = readListQuery(
      new URLSearchParams("status=FAILED&payment=pay_123&limit=10&after=re_a,re_b"),
      STATUSES,
    );
    expect(q).toEqual({
      status: "FAILED",
      payment: "pay_123",
      limit: 10,
      cursors: ["re_a", "re_b"],
    });
  });

  it("falls back to the defaults for unknown values", () => {
    expect(readListQuery(new URLSearchParams("status=WON&limit=7"), STATUSES)).toEqual({
      status: "",
      payment: "",
      limit: 25,
      cursors: [],
    });
  });

  it("writes back only what differs from the defaults", () => {
    expect(listQueryParams({ status: "", payment: "", limit: 25, cursors: [] })).toEqual({
      status: undefined,
      payment: undefined,
      limit: undefined,
      after: undefined,
    });
    expect(
      listQueryParams({ status: "PENDING", payment: "pay_1", limit: 50, cursors: ["re_1"] }),
    ).toEqual({ status: "PENDING", payment: "pay_1", limit: "50", after: "re_1" });
  });
});

describe("paymentFilterError", () => {
  it("accepts blank and payment ids, explains anything else", () => {
    expect(paymentFilterError("")).toBeNull();
    expect(paymentFilterError(" pay_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX ")).toBeNull();
    expect(paymentFilterError("re_01JDV6")).toMatch(/pay_/);
    expect(paymentFilterError("pay_ with space")).toMatch(/pay_/);
    expect(paymentFilterError(`pay_${"x".repeat(70)}`)).toMatch(/64/);
  });
});

describe("statusLabel", () => {
  it("writes statuses as words", () => {
    expect(statusLabel("")).toBe("All");
    expect(statusLabel("FAILED")).toBe("Failed");
    expect(statusLabel("REQUIRES_CAPTURE")).toBe("Requires capture");
    expect(statusLabel("NEEDS_RESPONSE")).toBe("Needs response");
  });
});
