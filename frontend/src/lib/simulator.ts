// The Simulator page as data: the dials, the form ⇄ settings conversion, what differs from the
// defaults (for the banner), and where an API error's `param` belongs on the form.

import type { ApiErrorMode, Simulator, SimulatorBody } from "../api/types";

export const ERROR_MODES: readonly { value: ApiErrorMode; label: string; help: string }[] = [
  {
    value: "before_commit",
    label: "Before commit",
    help: "The request is refused: nothing was done.",
  },
  {
    value: "after_commit",
    label: "After commit",
    help: "The request took effect but the answer is lost: send it again with the same idempotency key.",
  },
];

export type DialKind = "weight" | "rate" | "ms";

/** One numeric dial: its path in the settings object (also the API's `param`). */
export interface Dial {
  path: string;
  label: string;
  kind: DialKind;
}

export const DIAL_GROUPS: readonly { title: string; help: string; dials: readonly Dial[] }[] = [
  {
    title: "Outcomes",
    help: "The weighted mix for payments no script, scenario or test value decides.",
    dials: [
      { path: "outcome_weights.success", label: "Success weight", kind: "weight" },
      { path: "outcome_weights.timeout", label: "Timeout weight", kind: "weight" },
      { path: "outcome_weights.hard_failure", label: "Hard failure weight", kind: "weight" },
      { path: "gateway_latency_ms.min", label: "Gateway latency min (ms)", kind: "ms" },
      { path: "gateway_latency_ms.max", label: "Gateway latency max (ms)", kind: "ms" },
    ],
  },
  {
    title: "API faults",
    help: "A share of your POST requests answers 503 simulated_outage (with Retry-After).",
    dials: [
      { path: "api.error_rate", label: "API error rate", kind: "rate" },
      { path: "api.latency_ms.min", label: "API latency min (ms)", kind: "ms" },
      { path: "api.latency_ms.max", label: "API latency max (ms)", kind: "ms" },
    ],
  },
  {
    title: "Webhook chaos",
    help: "Dropped first attempts, duplicates with the same webhook-id, bad signatures, delays.",
    dials: [
      { path: "webhooks.drop_rate", label: "Drop rate", kind: "rate" },
      { path: "webhooks.duplicate_rate", label: "Duplicate rate", kind: "rate" },
      { path: "webhooks.bad_signature_rate", label: "Bad signature rate", kind: "rate" },
      { path: "webhooks.delay_ms.min", label: "Delivery delay min (ms)", kind: "ms" },
      { path: "webhooks.delay_ms.max", label: "Delivery delay max (ms)", kind: "ms" },
    ],
  },
];

export const DIALS: readonly Dial[] = DIAL_GROUPS.flatMap((g) => g.dials);

/** The form: every dial as the text of its input, plus the seed, mode and expiry. */
export interface SimulatorForm {
  values: Record<string, string>;
  errorMode: ApiErrorMode;
  seed: string;
  /** "" = no expiry; else the settings fall back to the defaults after this many minutes. */
  expiresInMinutes: string;
  /** The expiry the form was loaded with, kept as is while `expiresInMinutes` is untouched. */
  loadedExpiresAt: string | null;
}

export type SimulatorFormErrors = Record<string, string>;

function getPath(obj: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

/** Minutes left until `expiresAt` (rounded up), or "" when none or already past. */
export function minutesLeft(expiresAt: string | null, now: number): string {
  if (!expiresAt) return "";
  const ms = Date.parse(expiresAt) - now;
  if (!Number.isFinite(ms) || ms <= 0) return "";
  return String(Math.ceil(ms / 60_000));
}

export function formFromSettings(s: SimulatorBody, now: number = Date.now()): SimulatorForm {
  const values: Record<string, string> = {};
  for (const d of DIALS) {
    const v = getPath(s, d.path);
    values[d.path] = typeof v === "number" ? String(v) : "";
  }
  return {
    values,
    errorMode: s.api.error_mode,
    seed: s.seed === null ? "" : String(s.seed),
    expiresInMinutes: minutesLeft(s.expires_at, now),
    loadedExpiresAt: minutesLeft(s.expires_at, now) ? s.expires_at : null,
  };
}

/**
 * The whole object for `PUT /v1/simulator`. Only what the browser must know is checked here
 * (a number is a number); ranges are the API's to judge, and its errors land on the field.
 */
export function settingsFromForm(
  form: SimulatorForm,
  now: number = Date.now(),
): { ok: true; body: SimulatorBody } | { ok: false; errors: SimulatorFormErrors } {
  const errors: SimulatorFormErrors = {};
  const body: Record<string, unknown> = {};
  for (const d of DIALS) {
    const text = (form.values[d.path] ?? "").trim();
    const n = Number(text);
    if (text === "" || !Number.isFinite(n)) errors[d.path] = "Enter a number";
    else if (d.kind !== "rate" && !Number.isInteger(n)) errors[d.path] = "Enter a whole number";
    setPath(body, d.path, n);
  }
  setPath(body, "api.error_mode", form.errorMode);

  const seedText = form.seed.trim();
  let seed: number | null = null;
  if (seedText !== "") {
    seed = Number(seedText);
    if (!Number.isSafeInteger(seed)) errors.seed = "A whole number, or empty for random";
  }
  body.seed = seed;

  const minutesText = form.expiresInMinutes.trim();
  let expires: string | null = null;
  if (form.loadedExpiresAt && minutesText === minutesLeft(form.loadedExpiresAt, now)) {
    expires = form.loadedExpiresAt; // saving another dial does not move the expiry
  } else if (minutesText !== "") {
    const minutes = Number(minutesText);
    if (!Number.isFinite(minutes) || minutes <= 0)
      errors.expires_at = "A number of minutes above 0, or empty for no expiry";
    else expires = new Date(now + minutes * 60_000).toISOString();
  }
  body.expires_at = expires;

  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, body: body as unknown as SimulatorBody };
}

/**
 * The form field an API error's `param` names: `api.error_rate`, `body.api.error_rate` and
 * `api[error_rate]` all mean the same dial. Unknown params stay as given (shown at the top).
 */
export function fieldForParam(param: string | null | undefined): string | null {
  if (!param) return null;
  const path = param
    .replace(/\[(\w+)\]/g, ".$1")
    .replace(/^body\./, "")
    .replace(/^\./, "");
  if (path === "seed" || path === "expires_at" || path === "api.error_mode") return path;
  if (DIALS.some((d) => d.path === path)) return path;
  // a range's own error (min > max) names the range: show it on its min field
  if (DIALS.some((d) => d.path === `${path}.min`)) return `${path}.min`;
  return null;
}

/**
 * What the banner says about settings that are not the defaults (`is_default` false): every
 * chaos dial that is on (their defaults are all off); with none on, the outcome mix, gateway
 * latency and seed, whose defaults are the deployment's (PAYGATE_OUTCOME_WEIGHTS, …).
 */
export function describeSettings(s: SimulatorBody): string[] {
  const out: string[] = [];
  const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;
  const range = (label: string, r: { min: number; max: number }) =>
    r.min !== 0 || r.max !== 0 ? [`${label} ${r.min}–${r.max} ms`] : [];
  if (s.api.error_rate !== 0)
    out.push(`API errors ${pct(s.api.error_rate)} (${s.api.error_mode.replace("_", " ")})`);
  out.push(...range("API latency", s.api.latency_ms));
  const wh = s.webhooks;
  if (wh.drop_rate !== 0) out.push(`webhook drops ${pct(wh.drop_rate)}`);
  if (wh.duplicate_rate !== 0) out.push(`webhook duplicates ${pct(wh.duplicate_rate)}`);
  if (wh.bad_signature_rate !== 0) out.push(`bad signatures ${pct(wh.bad_signature_rate)}`);
  out.push(...range("webhook delay", wh.delay_ms));
  if (out.length) return out;
  const w = s.outcome_weights;
  return [
    `outcomes ${w.success}/${w.timeout}/${w.hard_failure}`,
    `gateway latency ${s.gateway_latency_ms.min}–${s.gateway_latency_ms.max} ms`,
    s.seed === null ? "no seed" : `seed ${s.seed}`,
  ];
}

/** The settings object without what the server keeps, for comparing and for the form. */
export function settingsOf(s: Simulator): SimulatorBody {
  return {
    expires_at: s.expires_at,
    seed: s.seed,
    outcome_weights: s.outcome_weights,
    gateway_latency_ms: s.gateway_latency_ms,
    api: s.api,
    webhooks: s.webhooks,
  };
}
