import { describe, expect, it } from "vitest";
import {
  formatRefunded,
  describeMethod,
  formatAmount,
  formatDateTime,
  formatDuration,
  formatPercent,
  formatRelative,
  formatTime,
  minorUnitExponent,
  msBetween,
  parseAmountToMinor,
  shortId,
} from "./format";

describe("minorUnitExponent", () => {
  it("knows the currencies that are not 2-decimal", () => {
    expect(minorUnitExponent("JPY")).toBe(0);
    expect(minorUnitExponent("KWD")).toBe(3);
    expect(minorUnitExponent("USD")).toBe(2);
    expect(minorUnitExponent("INR")).toBe(2);
    expect(minorUnitExponent("usd")).toBe(2);
  });
});

describe("formatAmount", () => {
  it("formats USD minor units as dollars and cents", () => {
    expect(formatAmount(1234, "USD")).toBe("$12.34");
    expect(formatAmount(5, "USD")).toBe("$0.05");
    expect(formatAmount(123456789, "USD")).toBe("$1,234,567.89");
  });
  it("formats JPY with no minor unit", () => {
    expect(formatAmount(1234, "JPY")).toBe("¥1,234");
    expect(formatAmount(7, "JPY")).toBe("¥7");
  });
  it("formats KWD with three decimals", () => {
    // en-US has no symbol for KWD: Intl writes the code.
    expect(formatAmount(1234, "KWD").replace(/\s/g, " ")).toBe("KWD 1.234");
    expect(formatAmount(5, "KWD").replace(/\s/g, " ")).toBe("KWD 0.005");
  });
  it("formats INR", () => {
    expect(formatAmount(123456, "INR")).toBe("₹1,234.56");
  });
  it("formats EUR and GBP with their symbols", () => {
    expect(formatAmount(999, "EUR")).toBe("€9.99");
    expect(formatAmount(100, "GBP")).toBe("£1.00");
  });
  it("accepts another locale", () => {
    expect(formatAmount(1234, "EUR", "de-DE").replace(/\s/g, " ")).toBe("12,34 €");
  });
  it("survives an unknown currency code", () => {
    expect(formatAmount(1234, "XX1")).toBe("XX1 12.34");
  });
});

describe("parseAmountToMinor", () => {
  it("turns what a person types into minor units", () => {
    expect(parseAmountToMinor("12.34", "USD")).toEqual({ ok: true, minor: 1234 });
    expect(parseAmountToMinor("12", "USD")).toEqual({ ok: true, minor: 1200 });
    expect(parseAmountToMinor("12.3", "USD")).toEqual({ ok: true, minor: 1230 });
    expect(parseAmountToMinor("1,234.50", "USD")).toEqual({ ok: true, minor: 123450 });
    expect(parseAmountToMinor("1234", "JPY")).toEqual({ ok: true, minor: 1234 });
    expect(parseAmountToMinor("1.234", "KWD")).toEqual({ ok: true, minor: 1234 });
  });
  it("refuses too many decimals, zero, negatives and text", () => {
    expect(parseAmountToMinor("12.345", "USD").ok).toBe(false);
    expect(parseAmountToMinor("12.5", "JPY")).toEqual({
      ok: false,
      error: "JPY has no minor unit: use a whole number",
    });
    expect(parseAmountToMinor("0", "USD")).toEqual({
      ok: false,
      error: "Amount must be greater than zero",
    });
    expect(parseAmountToMinor("-5", "USD").ok).toBe(false);
    expect(parseAmountToMinor("abc", "USD").ok).toBe(false);
    expect(parseAmountToMinor("", "USD")).toEqual({ ok: false, error: "Enter an amount" });
  });
});

describe("formatPercent", () => {
  it("formats fractions as percentages", () => {
    expect(formatPercent(0.7123)).toBe("71.2%");
    expect(formatPercent(1)).toBe("100.0%");
    expect(formatPercent(0)).toBe("0.0%");
    expect(formatPercent(0.29, 0)).toBe("29%");
  });
  it("shows a dash when there is no rate yet", () => {
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(undefined)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("picks a unit", () => {
    expect(formatDuration(8.4)).toBe("8 ms");
    expect(formatDuration(0.25)).toBe("0.25 ms");
    expect(formatDuration(1234)).toBe("1.23 s");
    expect(formatDuration(12_500)).toBe("12.5 s");
    expect(formatDuration(95_000)).toBe("1m 35s");
    expect(formatDuration(120_000)).toBe("2m");
    expect(formatDuration(null)).toBe("—");
  });
});

describe("dates", () => {
  const iso = "2026-11-28T07:05:09.123Z";
  it("formats date and time in UTC", () => {
    expect(formatDateTime(iso, { utc: true })).toBe("2026-11-28 07:05:09");
    expect(formatTime(iso, { utc: true })).toBe("07:05:09");
    expect(formatTime(iso, { utc: true, millis: true })).toBe("07:05:09.123");
  });
  it("formats in the local zone by default", () => {
    const d = new Date(iso);
    const pad = (n: number) => String(n).padStart(2, "0");
    expect(formatTime(iso)).toBe(`${pad(d.getHours())}:${pad(d.getMinutes())}:09`);
  });
  it("passes bad input through and shows a dash for none", () => {
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("not a date")).toBe("not a date");
  });
  it("says how long ago", () => {
    const now = Date.parse(iso);
    expect(formatRelative(iso, now + 1000)).toBe("just now");
    expect(formatRelative(iso, now + 42_000)).toBe("42s ago");
    expect(formatRelative(iso, now + 5 * 60_000)).toBe("5m ago");
    expect(formatRelative(iso, now + 3 * 3_600_000)).toBe("3h ago");
    expect(formatRelative(iso, now + 2 * 86_400_000)).toBe("2d ago");
    expect(formatRelative(iso, now - 10_000)).toBe("in 10s");
  });
  it("measures between two times", () => {
    expect(msBetween("2026-11-28T07:00:00.000Z", "2026-11-28T07:00:01.500Z")).toBe(1500);
    expect(msBetween("2026-11-28T07:00:00.000Z", null)).toBeNull();
  });
});

describe("describeMethod and shortId", () => {
  it("describes each method type", () => {
    expect(describeMethod({ type: "card", brand: "visa", last4: "4242" })).toBe("Visa •••• 4242");
    expect(describeMethod({ type: "upi", vpa: "su*****@paygate" })).toBe("UPI su*****@paygate");
    expect(describeMethod({ type: "wallet", wallet: "paytm" })).toBe("Wallet · paytm");
  });
  it("elides long ids in the middle", () => {
    expect(shortId("pay_01JD8XABCDEFGHJKQ4ZK")).toBe("pay_01JD8X…Q4ZK");
    expect(shortId("pay_1")).toBe("pay_1");
  });
});

describe("formatRefunded", () => {
  it("writes each currency's sum by its own minor unit, codes in order", () => {
    expect(formatRefunded({ USD: 1200, EUR: 450, JPY: 0 }, "en-US")).toBe(
      "€4.50 · $12.00 refunded",
    );
    expect(formatRefunded({ JPY: 1500 }, "en-US")).toBe("¥1,500 refunded");
  });

  it("says so when nothing was refunded", () => {
    expect(formatRefunded({}, "en-US")).toBe("nothing refunded");
    expect(formatRefunded({ USD: 0 }, "en-US")).toBe("nothing refunded");
  });
});
