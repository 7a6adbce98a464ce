// Money, dates, durations and rates, formatted one way across the dashboard.

/** ISO-4217 minor-unit exponents that differ from the usual 2. */
const MINOR_UNIT_EXPONENTS: Record<string, number> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

export const DEFAULT_LOCALE = "en-US";

export function minorUnitExponent(currency: string): number {
  return MINOR_UNIT_EXPONENTS[currency.toUpperCase()] ?? 2;
}

const moneyFormatters = new Map<string, Intl.NumberFormat>();

function moneyFormatter(currency: string, locale: string): Intl.NumberFormat {
  const key = `${locale}:${currency}`;
  let f = moneyFormatters.get(key);
  if (!f) {
    const exp = minorUnitExponent(currency);
    try {
      f = new Intl.NumberFormat(locale, {
        style: "currency",
        currency,
        minimumFractionDigits: exp,
        maximumFractionDigits: exp,
      });
    } catch {
      // Unknown currency code: a plain number with the code in front.
      f = new Intl.NumberFormat(locale, { minimumFractionDigits: exp, maximumFractionDigits: exp });
    }
    moneyFormatters.set(key, f);
  }
  return f;
}

/** Minor units → display string: (1234, "USD") → "$12.34"; (1234, "JPY") → "¥1,234". */
export function formatAmount(minor: number, currency: string, locale = DEFAULT_LOCALE): string {
  const code = currency.toUpperCase();
  const f = moneyFormatter(code, locale);
  const major = minor / 10 ** minorUnitExponent(code);
  const text = f.format(major);
  return f.resolvedOptions().style === "currency" ? text : `${code} ${text}`;
}

/** Sums per currency → "$12.00 · €4.50 refunded" (codes sorted), or "nothing refunded". */
export function formatRefunded(
  byCurrency: Record<string, number>,
  locale = DEFAULT_LOCALE,
): string {
  const amounts = Object.entries(byCurrency)
    .filter(([, minor]) => minor > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, minor]) => formatAmount(minor, currency, locale));
  return amounts.length ? `${amounts.join(" · ")} refunded` : "nothing refunded";
}

/** Whether `formatAmount` already wrote the ISO code (KWD, unknown codes), so no suffix is needed. */
export function amountShowsCode(currency: string, locale = DEFAULT_LOCALE): boolean {
  return formatAmount(1, currency, locale).includes(currency.toUpperCase());
}

/**
 * What a person types ("12.34") → minor units (1234), or an error message.
 * Refuses more decimals than the currency has, negatives and non-numbers.
 */
export function parseAmountToMinor(
  input: string,
  currency: string,
): { ok: true; minor: number } | { ok: false; error: string } {
  const text = input.trim().replace(/[,_\s]/g, "");
  const exp = minorUnitExponent(currency);
  if (!text) return { ok: false, error: "Enter an amount" };
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return { ok: false, error: "Amount must be a positive number" };
  const [, whole, frac = ""] = m;
  if (frac.length > exp) {
    return {
      ok: false,
      error:
        exp === 0
          ? `${currency} has no minor unit: use a whole number`
          : `${currency} has at most ${exp} decimal places`,
    };
  }
  const minor = Number(whole + frac.padEnd(exp, "0"));
  if (!Number.isSafeInteger(minor)) return { ok: false, error: "Amount is too large" };
  if (minor <= 0) return { ok: false, error: "Amount must be greater than zero" };
  return { ok: true, minor };
}

/** A fraction as a percentage: 0.7123 → "71.2%"; null → "—". */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${(value * 100).toFixed(digits)}%`;
}

export function formatNumber(
  value: number | null | undefined,
  digits = 0,
  locale = DEFAULT_LOCALE,
): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** Milliseconds for people: 8.4 → "8 ms", 1234 → "1.23 s", 95000 → "1m 35s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes}m ${seconds}s` : `${minutes}m`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function toDate(value: string | number | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "2026-11-28 07:00:00" in the viewer's time zone (or UTC with `utc`). */
export function formatDateTime(
  value: string | null | undefined,
  opts: { utc?: boolean } = {},
): string {
  if (!value) return "—";
  const d = toDate(value);
  if (!d) return value;
  const u = opts.utc;
  const date = `${u ? d.getUTCFullYear() : d.getFullYear()}-${pad((u ? d.getUTCMonth() : d.getMonth()) + 1)}-${pad(u ? d.getUTCDate() : d.getDate())}`;
  return `${date} ${formatTime(value, opts)}`;
}

/** "07:00:00" (with `.123` when `millis`). */
export function formatTime(
  value: string | null | undefined,
  opts: { utc?: boolean; millis?: boolean } = {},
): string {
  if (!value) return "—";
  const d = toDate(value);
  if (!d) return value;
  const u = opts.utc;
  const hms = `${pad(u ? d.getUTCHours() : d.getHours())}:${pad(u ? d.getUTCMinutes() : d.getMinutes())}:${pad(u ? d.getUTCSeconds() : d.getSeconds())}`;
  return opts.millis ? `${hms}.${pad(u ? d.getUTCMilliseconds() : d.getMilliseconds(), 3)}` : hms;
}

/** "just now", "42s ago", "5m ago", "3h ago", "2d ago" (future times: "in 5s"). */
export function formatRelative(value: string | null | undefined, now: number = Date.now()): string {
  if (!value) return "—";
  const d = toDate(value);
  if (!d) return value;
  const diff = Math.round((now - d.getTime()) / 1000);
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 3) return "just now";
  if (abs < 60) text = `${abs}s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)}m`;
  else if (abs < 86_400) text = `${Math.floor(abs / 3600)}h`;
  else text = `${Math.floor(abs / 86_400)}d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** Milliseconds between two ISO times, or null. */
export function msBetween(
  from: string | null | undefined,
  to: string | null | undefined,
): number | null {
  if (!from || !to) return null;
  const a = toDate(from);
  const b = toDate(to);
  return a && b ? b.getTime() - a.getTime() : null;
}

/** A payment method in a few words: "Visa •••• 4242", "UPI su*****@paygate", "Wallet · paytm". */
export function describeMethod(pm: {
  type: string;
  brand?: string | null;
  last4?: string | null;
  vpa?: string | null;
  wallet?: string | null;
}): string {
  switch (pm.type) {
    case "card": {
      const brand = pm.brand ? pm.brand[0].toUpperCase() + pm.brand.slice(1) : "Card";
      return pm.last4 ? `${brand} •••• ${pm.last4}` : brand;
    }
    case "upi":
      return pm.vpa ? `UPI ${pm.vpa}` : "UPI";
    case "wallet":
      return pm.wallet ? `Wallet · ${pm.wallet}` : "Wallet";
    default:
      return pm.type;
  }
}

/** A short middle-elided id: "pay_01JD8X…Q4ZK". */
export function shortId(id: string, head = 10, tail = 4): string {
  return id.length <= head + tail + 1 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}
