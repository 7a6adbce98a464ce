// Money movements as data: what a payment still allows (capture, cancel, refund), the capture
// and refund forms → request bodies, and how the timeline names what moved.

import type {
  CancellationReason,
  CaptureBody,
  CreateRefundBody,
  Dispute,
  Payment,
  PaymentEvent,
  PaymentStatus,
  Refund,
  RefundReason,
} from "../api/types";
import { minorUnitExponent, parseAmountToMinor } from "./format";

/** States a merchant may cancel from (the API answers 409 `invalid_state` for any other). */
export const CANCELABLE_STATUSES: readonly PaymentStatus[] = [
  "REQUIRES_CAPTURE",
  "CREATED",
  "RETRYING",
];

export function canCapture(p: Pick<Payment, "status">): boolean {
  return p.status === "REQUIRES_CAPTURE";
}

export function canCancel(p: Pick<Payment, "status">): boolean {
  return CANCELABLE_STATUSES.includes(p.status);
}

/** The sum of the refunds still being processed. */
export function pendingRefunds(refunds: readonly Pick<Refund, "status" | "amount">[]): number {
  return refunds.reduce((sum, r) => (r.status === "PENDING" ? sum + r.amount : sum), 0);
}

/**
 * What is left to refund: captured − refunded (succeeded refunds) − pending refunds, never
 * below zero. The API keeps the same sum under its own lock; this is what the form offers.
 */
export function refundableAmount(
  p: Pick<Payment, "amount_captured" | "amount_refunded">,
  refunds: readonly Pick<Refund, "status" | "amount">[],
): number {
  return Math.max(0, p.amount_captured - p.amount_refunded - pendingRefunds(refunds));
}

/** Only a SUCCESS payment with something left to refund offers the Refund action. */
export function canRefund(
  p: Pick<Payment, "status" | "amount_captured" | "amount_refunded">,
  refunds: readonly Pick<Refund, "status" | "amount">[],
): boolean {
  return p.status === "SUCCESS" && refundableAmount(p, refunds) > 0;
}

/** Minor units → what a person types back into an amount field: (1234, "USD") → "12.34". */
export function minorToInput(minor: number, currency: string): string {
  const exp = minorUnitExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exp + 1, "0");
  const text = exp ? `${digits.slice(0, -exp)}.${digits.slice(-exp)}` : digits;
  return negative ? `-${text}` : text;
}

export type AmountCheck =
  | {
      ok: true;
      minor: number;
      /** More than the limit: the API will refuse it (400). */ over: boolean;
    }
  | { ok: false; error: string };

/**
 * An amount field checked against a limit. A malformed amount is refused here; one over the
 * limit is not (the API has the last word and its `amount_too_large` is shown), only flagged.
 */
export function checkAmount(input: string, currency: string, limit: number): AmountCheck {
  const parsed = parseAmountToMinor(input, currency);
  if (!parsed.ok) return parsed;
  return { ok: true, minor: parsed.minor, over: parsed.minor > limit };
}

/** The capture form → `{amount}`; the amount defaults to the whole authorization. */
export function buildCaptureBody(
  input: string,
  p: Pick<Payment, "amount" | "currency">,
): { ok: true; body: CaptureBody; over: boolean } | { ok: false; error: string } {
  if (!input.trim()) return { ok: true, body: {}, over: false };
  const check = checkAmount(input, p.currency, p.amount);
  if (!check.ok) return check;
  return { ok: true, body: { amount: check.minor }, over: check.over };
}

export interface RefundForm {
  amount: string;
  reason: RefundReason | "";
}

export function defaultRefundForm(
  p: Pick<Payment, "currency" | "amount_captured" | "amount_refunded">,
  refunds: readonly Pick<Refund, "status" | "amount">[],
): RefundForm {
  return { amount: minorToInput(refundableAmount(p, refunds), p.currency), reason: "" };
}

/** The refund form → the body of `POST /v1/refunds`. */
export function buildRefundBody(
  form: RefundForm,
  p: Pick<Payment, "id" | "currency" | "amount_captured" | "amount_refunded">,
  refunds: readonly Pick<Refund, "status" | "amount">[],
): { ok: true; body: CreateRefundBody; over: boolean } | { ok: false; error: string } {
  const check = checkAmount(form.amount, p.currency, refundableAmount(p, refunds));
  if (!check.ok) return check;
  const body: CreateRefundBody = { payment: p.id, amount: check.minor };
  if (form.reason) body.reason = form.reason;
  return { ok: true, body, over: check.over };
}

/**
 * The Idempotency-Key for a refund request. A request that got no answer (network error) is
 * sent again with the same key, so it cannot refund twice; any answer, or a different body,
 * takes a fresh key (the same key with another body would be a 422).
 */
export interface PendingRequest {
  body: string;
  key: string;
}

export function idempotencyKeyFor(
  body: unknown,
  unanswered: PendingRequest | null,
  newKey: () => string,
): PendingRequest {
  const text = JSON.stringify(body);
  if (unanswered && unanswered.body === text) return unanswered;
  return { body: text, key: newKey() };
}

export const CANCELLATION_REASON_LABELS: Record<CancellationReason, string> = {
  requested_by_customer: "Requested by customer",
  duplicate: "Duplicate",
  fraudulent: "Fraudulent",
  abandoned: "Abandoned",
};

export const REFUND_REASON_LABELS: Record<RefundReason, string> = {
  requested_by_customer: "Requested by customer",
  duplicate: "Duplicate",
  fraudulent: "Fraudulent",
};

/** How a timeline entry names what moved: "Payment", "Refund re_…", "Dispute dp_…". */
export function movedObjectLabel(ev: Pick<PaymentEvent, "object_type" | "object_id">): string {
  switch (ev.object_type) {
    case "refund":
      return `Refund ${ev.object_id}`;
    case "dispute":
      return `Dispute ${ev.object_id}`;
    default:
      return "Payment";
  }
}

export type DeadlineState = "open" | "soon" | "overdue" | "closed";

/** Where a dispute stands against its evidence deadline (`soon`: under a day left). */
export function disputeDeadline(
  d: Pick<Dispute, "status" | "evidence_due_by">,
  now: number = Date.now(),
): DeadlineState {
  if (d.status !== "NEEDS_RESPONSE") return "closed";
  const due = Date.parse(d.evidence_due_by);
  if (Number.isNaN(due)) return "open";
  if (due <= now) return "overdue";
  return due - now < 86_400_000 ? "soon" : "open";
}

/** Evidence the API will look at: non-blank, at most `max` characters. */
export function checkEvidence(text: string, max = 10_000): string | null {
  if (!text.trim()) return "Write the evidence first";
  if (text.length > max) return `At most ${max.toLocaleString("en-US")} characters`;
  return null;
}

/** Newest first, by creation time (ties keep the API's order). */
export function newestFirst<T extends { created_at: string }>(items: readonly T[]): T[] {
  return items
    .map((item, i) => ({ item, i, t: Date.parse(item.created_at) || 0 }))
    .sort((a, b) => b.t - a.t || a.i - b.i)
    .map((x) => x.item);
}
