import { describe, expect, it } from "vitest";
import { localInputToIso, sameEvents, toLocalInput, toggleEvent } from "./webhookEndpoints";

describe("recover since", () => {
  it("converts a datetime-local value to an ISO time and back", () => {
    const ms = new Date(2026, 11, 2, 9, 30).getTime();
    expect(toLocalInput(ms)).toBe("2026-12-02T09:30");
    expect(localInputToIso("2026-12-02T09:30")).toBe(new Date(ms).toISOString());
    expect(localInputToIso("")).toBeNull();
    expect(localInputToIso("yesterday")).toBeNull();
  });
});

describe("enabled events", () => {
  const ALL = ["a", "b", "c"];
  it("toggles keeping the canonical order", () => {
    expect(toggleEvent(ALL, ["c"], "a", true)).toEqual(["a", "c"]);
    expect(toggleEvent(ALL, ["a", "c"], "a", false)).toEqual(["c"]);
    expect(toggleEvent(ALL, ["a"], "a", true)).toEqual(["a"]);
  });
  it("compares as sets", () => {
    expect(sameEvents(["a", "b"], ["b", "a"])).toBe(true);
    expect(sameEvents(["a"], ["a", "b"])).toBe(false);
  });
});
