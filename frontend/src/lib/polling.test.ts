import { describe, expect, it } from "vitest";
import { ApiError } from "../api/errors";
import { initialPollState, jsonEqual, nextDelay, pollReducer, type PollState } from "./polling";

const netErr = new ApiError({
  status: 0,
  code: "network_error",
  type: "network_error",
  message: "down",
});

describe("pollReducer", () => {
  it("is loading until the first answer", () => {
    let s: PollState<number[]> = initialPollState();
    expect(s.loading).toBe(true);
    s = pollReducer(s, { type: "start" });
    expect(s).toMatchObject({ loading: true, refreshing: true });
    s = pollReducer(s, { type: "success", data: [1], at: 1 });
    expect(s).toMatchObject({
      loading: false,
      refreshing: false,
      data: [1],
      updatedAt: 1,
      failures: 0,
    });
  });

  it("keeps the data visible while refreshing (no flicker)", () => {
    let s = pollReducer(initialPollState<number[]>(), { type: "success", data: [1], at: 1 });
    s = pollReducer(s, { type: "start" });
    expect(s.data).toEqual([1]);
    expect(s.loading).toBe(false);
    expect(s.refreshing).toBe(true);
  });

  it("keeps the last data after a failure and counts failures", () => {
    let s = pollReducer(initialPollState<number[]>(), { type: "success", data: [1], at: 1 });
    s = pollReducer(s, { type: "failure", error: netErr });
    s = pollReducer(s, { type: "failure", error: netErr });
    expect(s.data).toEqual([1]);
    expect(s.error).toBe(netErr);
    expect(s.failures).toBe(2);
    s = pollReducer(s, { type: "success", data: [2], at: 2 });
    expect(s).toMatchObject({ data: [2], error: null, failures: 0 });
  });

  it("keeps the same object when the answer did not change", () => {
    const first = { a: [1, { b: "x" }] };
    let s = pollReducer(initialPollState<typeof first>(), { type: "success", data: first, at: 1 });
    s = pollReducer(s, { type: "success", data: { a: [1, { b: "x" }] }, at: 2 });
    expect(s.data).toBe(first);
    expect(s.updatedAt).toBe(2);
    s = pollReducer(s, { type: "success", data: { a: [1, { b: "y" }] }, at: 3 });
    expect(s.data).not.toBe(first);
  });

  it("marks old data stale on a new key instead of dropping it", () => {
    let s = pollReducer(initialPollState<number[]>(), { type: "success", data: [1], at: 1 });
    s = pollReducer(s, { type: "rekey" });
    expect(s).toMatchObject({ data: [1], stale: true, loading: false });
    s = pollReducer(s, { type: "success", data: [3], at: 2 });
    expect(s.stale).toBe(false);
  });
});

describe("nextDelay", () => {
  it("polls at the interval while healthy and backs off exponentially to a cap", () => {
    expect(nextDelay(2000, 0, 10_000)).toBe(2000);
    expect(nextDelay(2000, 1, 10_000)).toBe(4000);
    expect(nextDelay(2000, 2, 10_000)).toBe(8000);
    expect(nextDelay(2000, 3, 10_000)).toBe(10_000);
    expect(nextDelay(2000, 500, 10_000)).toBe(10_000);
  });
});

describe("jsonEqual", () => {
  it("compares JSON values structurally", () => {
    expect(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
  });
});
