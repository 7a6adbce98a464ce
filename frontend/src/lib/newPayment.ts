// The new-payment form as data: defaults, the magic test values, and form → request body.

import type { CaptureMethod, CreatePaymentBody, Scenario } from "../api/types";
import { parseAmountToMinor } from "./format";

export type MethodType = "card" | "upi" | "wallet";

export interface NewPaymentForm {
  amount: string;
  currency: string;
  method: MethodType;
  cardNumber: string;
  vpa: string;
  wallet: string;
  userId: string;
  description: string;
  scenario: Scenario | "";
  /** manual: a successful payment waits in REQUIRES_CAPTURE for Capture or Cancel. */
  captureMethod: CaptureMethod;
  idempotencyKey: string;
  /** `simulate.attempts`: what attempt n does (the last entry repeats); empty = no script. */
  attempts: string[];
  /** `simulate.gateway_latency_ms`; "" = the simulator's own latency. */
  gatewayLatencyMs: string;
}

/** The failure codes a scripted `decline:<code>` may name (DESIGN.md's decline catalog). */
export const DECLINE_CODES = [
  "card_declined",
  "insufficient_funds",
  "lost_card",
  "stolen_card",
  "expired_card",
  "incorrect_cvc",
  "fraudulent",
  "card_velocity_exceeded",
  "upi_declined",
] as const;

/** Every entry `simulate.attempts` accepts, with what it does. */
export const ATTEMPT_CHOICES: readonly { value: string; label: string }[] = [
  { value: "success", label: "success" },
  { value: "timeout", label: "timeout (retried)" },
  { value: "processing_error", label: "processing_error (retried)" },
  { value: "decline", label: "decline (final)" },
  ...DECLINE_CODES.map((c) => ({ value: `decline:${c}`, label: `decline:${c}` })),
];

/** At most this many scripted entries (a run never has more attempts than max_attempts). */
export const MAX_SCRIPTED_ATTEMPTS = 10;

export const MAGIC_CARDS = [
  { number: "4242424242424242", outcome: "Succeeds", tone: "good" },
  { number: "4000000000000002", outcome: "Declined (hard failure)", tone: "bad" },
  { number: "4000000000009995", outcome: "Insufficient funds", tone: "bad" },
  { number: "4000000000000119", outcome: "Processing error (retried)", tone: "warn" },
  { number: "4000000000000259", outcome: "Succeeds, then disputed", tone: "warn" },
  { number: "4000000000005126", outcome: "Succeeds; every refund fails", tone: "warn" },
] as const;

export const MAGIC_VPAS = [
  { vpa: "success@paygate", outcome: "Succeeds", tone: "good" },
  { vpa: "failure@paygate", outcome: "Fails", tone: "bad" },
  { vpa: "timeout@paygate", outcome: "Times out on every attempt", tone: "warn" },
] as const;

export const WALLETS = ["paytm", "phonepe", "applepay", "googlepay", "amazonpay"] as const;

export const SCENARIO_HELP: Record<Scenario, string> = {
  success: "Succeeds on the first attempt",
  timeout: "Times out on every attempt, then FAILED",
  hard_failure: "Declined at once, no retry",
  flaky: "Times out once, then succeeds",
  random: "The weighted 70 / 15 / 15 mix",
};

/** A fresh idempotency key (UUID v4, as Stripe suggests). */
export function newIdempotencyKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function")
    return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function defaultForm(): NewPaymentForm {
  return {
    amount: "12.34",
    currency: "USD",
    method: "card",
    cardNumber: "4242424242424242",
    vpa: "success@paygate",
    wallet: "paytm",
    userId: "user_1",
    description: "",
    scenario: "",
    captureMethod: "automatic",
    idempotencyKey: newIdempotencyKey(),
    attempts: [],
    gatewayLatencyMs: "",
  };
}

export type FormErrors = Partial<Record<keyof NewPaymentForm, string>>;

/** Check what the browser can check; the API has the last word (and its errors are shown). */
export function buildCreateBody(
  form: NewPaymentForm,
): { ok: true; body: CreatePaymentBody; key: string } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const amount = parseAmountToMinor(form.amount, form.currency);
  if (!amount.ok) errors.amount = amount.error;
  if (!form.userId.trim()) errors.userId = "Enter a user id";
  const key = form.idempotencyKey.trim();
  if (!key) errors.idempotencyKey = "An idempotency key is required";
  else if (key.length > 255) errors.idempotencyKey = "At most 255 characters";
  else if (!/^[\x20-\x7e]+$/.test(key)) errors.idempotencyKey = "Printable ASCII characters only";

  const latencyText = form.gatewayLatencyMs.trim();
  const latency = Number(latencyText);
  if (latencyText && (!Number.isInteger(latency) || latency < 0))
    errors.gatewayLatencyMs = "Whole milliseconds, 0 or more";

  let payment_method: CreatePaymentBody["payment_method"];
  if (form.method === "card") {
    const digits = form.cardNumber.replace(/[\s-]/g, "");
    if (!/^\d{12,19}$/.test(digits)) errors.cardNumber = "12 to 19 digits";
    payment_method = { type: "card", card_number: digits };
  } else if (form.method === "upi") {
    if (!/^[^@\s]+@[^@\s]+$/.test(form.vpa.trim())) errors.vpa = "A VPA looks like name@bank";
    payment_method = { type: "upi", vpa: form.vpa.trim() };
  } else {
    if (!form.wallet.trim()) errors.wallet = "Choose a wallet";
    payment_method = { type: "wallet", wallet: form.wallet.trim() };
  }
  if (Object.keys(errors).length || !amount.ok) return { ok: false, errors };

  const body: CreatePaymentBody = {
    amount: amount.minor,
    currency: form.currency,
    payment_method,
    user_id: form.userId.trim(),
  };
  if (form.description.trim()) body.description = form.description.trim();
  if (form.scenario) body.scenario = form.scenario;
  // automatic is the API's default: left out, so older request bodies stay byte-identical
  if (form.captureMethod === "manual") body.capture_method = "manual";
  if (form.attempts.length || latencyText) {
    body.simulate = {};
    if (form.attempts.length) body.simulate.attempts = [...form.attempts];
    if (latencyText) body.simulate.gateway_latency_ms = latency;
  }
  return { ok: true, body, key };
}
