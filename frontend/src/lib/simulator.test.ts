import { describe, expect, it } from "vitest";
import type { SimulatorBody } from "../api/types";
import {
  DIALS,
  describeSettings,
  fieldForParam,
  formFromSettings,
  minutesLeft,
  settingsFromForm,
} from "./simulator";

const NOW = Date.parse("2026-12-02T12:00:00.000Z");

const SETTINGS: SimulatorBody = {
  expires_at: null,
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

describe("simulator form", () => {
  it("has one input per numeric dial of the object", () => {
    expect(DIALS.map((d) => d.path)).toEqual([
      "outcome_weights.success",
      "outcome_weights.timeout",
      "outcome_weights.hard_failure",
      "gateway_latency_ms.min",
      "gateway_latency_ms.max",
      "api.error_rate",
      "api.latency_ms.min",
      "api.latency_ms.max",
      "webhooks.drop_rate",
      "webhooks.duplicate_rate",
      "webhooks.bad_signature_rate",
      "webhooks.delay_ms.min",
      "webhooks.delay_ms.max",
    ]);
  });

  it("round-trips the whole object", () => {
    const s: SimulatorBody = {
      ...SETTINGS,
      seed: 7,
      api: { error_rate: 0.3, error_mode: "after_commit", latency_ms: { min: 10, max: 20 } },
      webhooks: { ...SETTINGS.webhooks, duplicate_rate: 1 },
    };
    const form = formFromSettings(s, NOW);
    expect(form.values["api.error_rate"]).toBe("0.3");
    expect(form.seed).toBe("7");
    expect(settingsFromForm(form, NOW)).toEqual({ ok: true, body: s });
  });

  it("turns 'for the next N minutes' into expires_at, and back", () => {
    const form = { ...formFromSettings(SETTINGS, NOW), expiresInMinutes: "10" };
    const r = settingsFromForm(form, NOW);
    expect(r.ok && r.body.expires_at).toBe("2026-12-02T12:10:00.000Z");
    expect(minutesLeft("2026-12-02T12:10:00.000Z", NOW)).toBe("10");
    expect(minutesLeft("2026-12-02T12:00:30.000Z", NOW)).toBe("1");
    expect(minutesLeft("2026-12-02T11:59:00.000Z", NOW)).toBe("");
    expect(minutesLeft(null, NOW)).toBe("");
  });

  it("keeps a loaded expiry as it is unless the minutes are changed", () => {
    const loaded = { ...SETTINGS, expires_at: "2026-12-02T12:04:30.000Z" };
    const form = formFromSettings(loaded, NOW);
    expect(form.expiresInMinutes).toBe("5");
    const same = settingsFromForm(form, NOW + 1000);
    expect(same.ok && same.body.expires_at).toBe("2026-12-02T12:04:30.000Z");
    const changed = settingsFromForm({ ...form, expiresInMinutes: "10" }, NOW);
    expect(changed.ok && changed.body.expires_at).toBe("2026-12-02T12:10:00.000Z");
    const cleared = settingsFromForm({ ...form, expiresInMinutes: "" }, NOW);
    expect(cleared.ok && cleared.body.expires_at).toBeNull();
  });

  it("refuses what is not a number, and sends nothing then", () => {
    const form = formFromSettings(SETTINGS, NOW);
    form.values["api.error_rate"] = "lots";
    form.values["gateway_latency_ms.min"] = "1.5";
    const r = settingsFromForm({ ...form, seed: "x", expiresInMinutes: "-1" }, NOW);
    expect(r).toEqual({
      ok: false,
      errors: {
        "api.error_rate": "Enter a number",
        "gateway_latency_ms.min": "Enter a whole number",
        seed: "A whole number, or empty for random",
        expires_at: "A number of minutes above 0, or empty for no expiry",
      },
    });
  });

  it("leaves ranges to the API (an out-of-range rate is sent)", () => {
    const form = formFromSettings(SETTINGS, NOW);
    form.values["api.error_rate"] = "2";
    const r = settingsFromForm(form, NOW);
    expect(r.ok && r.body.api.error_rate).toBe(2);
  });
});

describe("fieldForParam", () => {
  it("puts an API error on the field its param names", () => {
    expect(fieldForParam("api.error_rate")).toBe("api.error_rate");
    expect(fieldForParam("body.webhooks.drop_rate")).toBe("webhooks.drop_rate");
    expect(fieldForParam("api[error_rate]")).toBe("api.error_rate");
    expect(fieldForParam("gateway_latency_ms.max")).toBe("gateway_latency_ms.max");
    expect(fieldForParam("gateway_latency_ms")).toBe("gateway_latency_ms.min");
    expect(fieldForParam("expires_at")).toBe("expires_at");
    expect(fieldForParam("seed")).toBe("seed");
    expect(fieldForParam("outcome_weights")).toBeNull();
    expect(fieldForParam(null)).toBeNull();
  });
});

describe("describeSettings", () => {
  it("names every chaos dial that is on", () => {
    expect(
      describeSettings({
        ...SETTINGS,
        api: { error_rate: 0.3, error_mode: "after_commit", latency_ms: { min: 0, max: 50 } },
        webhooks: {
          drop_rate: 0.1,
          duplicate_rate: 1,
          bad_signature_rate: 0.25,
          delay_ms: { min: 100, max: 900 },
        },
      }),
    ).toEqual([
      "API errors 30% (after commit)",
      "API latency 0–50 ms",
      "webhook drops 10%",
      "webhook duplicates 100%",
      "bad signatures 25%",
      "webhook delay 100–900 ms",
    ]);
  });

  it("without chaos, names the outcome mix, latency and seed", () => {
    expect(describeSettings({ ...SETTINGS, seed: 3 })).toEqual([
      "outcomes 70/15/15",
      "gateway latency 5–40 ms",
      "seed 3",
    ]);
  });
});
