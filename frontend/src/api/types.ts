// Friendly names for the shapes of the paygate public API. The shapes are generated from the
// backend's OpenAPI document into ./schema.d.ts — regenerate with `make types` (or
// `npm run gen:types` here), never by hand; tests/test_generated_types.py fails when it is
// stale. Only what the document does not describe is written out below.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
/** `true` when `T` is `true`: compile-time checks that a constant list matches a union. */
type Assert<T extends true> = T;
type Covers<Union, List extends readonly unknown[]> = [Exclude<Union, List[number]>] extends [never]
  ? true
  : false;

export type Payment = Schemas["PaymentOut"];
export type PaymentDetail = Schemas["PaymentDetailOut"];
export type PaymentMethod = Schemas["PaymentMethodOut"];
export type Failure = Schemas["FailureOut"];
export type PaymentEvent = Schemas["PaymentEventOut"];
export type WebhookDelivery = Schemas["WebhookDeliveryOut"];
export type DeliveryAttempt = Schemas["DeliveryAttemptOut"];
export type WebhookEndpoint = Schemas["WebhookEndpointOut"];
export type DeletedObject = Schemas["DeletedOut"];
export type SettlementReport = Schemas["SettlementReportOut"];
export type ErrorEnvelope = Schemas["ErrorEnvelope"];
export type Refund = Schemas["RefundOut"];
export type RefundList = Schemas["RefundListOut"];
export type Dispute = Schemas["DisputeOut"];
export type DisputeList = Schemas["DisputeListOut"];

/** A list page: `{object: "list", url, data, has_more}` (PaymentListOut, WebhookEndpointListOut). */
export type ListEnvelope<T> = Omit<Schemas["PaymentListOut"], "data"> & { data: T[] };

/** The body of `POST /v1/payments` (documented inline, not as a component). */
export type CreatePaymentBody =
  paths["/v1/payments"]["post"]["requestBody"]["content"]["application/json"];
export type PaymentMethodInput = CreatePaymentBody["payment_method"];
export type CaptureMethod = Payment["capture_method"];

/** The bodies of `POST /v1/payments/{id}/capture` and `/cancel` (inline in the document). */
export type CaptureBody = NonNullable<
  paths["/v1/payments/{payment_id}/capture"]["post"]["requestBody"]
>["content"]["application/json"];
export type CancelBody = NonNullable<
  paths["/v1/payments/{payment_id}/cancel"]["post"]["requestBody"]
>["content"]["application/json"];
export type CancellationReason = NonNullable<CancelBody["reason"]>;
/** The body of `POST /v1/disputes/{id}/evidence` (documented inline). */
export type DisputeEvidenceBody =
  paths["/v1/disputes/{dispute_id}/evidence"]["post"]["requestBody"]["content"]["application/json"];
/** The body of `POST /v1/refunds` (documented inline). */
export type CreateRefundBody =
  paths["/v1/refunds"]["post"]["requestBody"]["content"]["application/json"];

export type PaymentStatus = Payment["status"];
export type WebhookStatus = Payment["webhook_status"];
export type DeliveryStatus = WebhookDelivery["status"];
export type Scenario = NonNullable<CreatePaymentBody["scenario"]>;

export const PAYMENT_STATUSES = [
  "CREATED",
  "PROCESSING",
  "RETRYING",
  "REQUIRES_CAPTURE",
  "SUCCESS",
  "FAILED",
  "CANCELED",
] as const satisfies readonly PaymentStatus[];
export type PaymentStatusesListed = Assert<Covers<PaymentStatus, typeof PAYMENT_STATUSES>>;
export const FINAL_STATUSES: readonly PaymentStatus[] = ["SUCCESS", "FAILED", "CANCELED"];

export type RefundStatus = Refund["status"];
export type RefundReason = NonNullable<Refund["reason"]>;
export const REFUND_STATUSES = [
  "PENDING",
  "SUCCEEDED",
  "FAILED",
] as const satisfies readonly RefundStatus[];
export type RefundStatusesListed = Assert<Covers<RefundStatus, typeof REFUND_STATUSES>>;
export const REFUND_REASONS = [
  "requested_by_customer",
  "duplicate",
  "fraudulent",
] as const satisfies readonly RefundReason[];
export type RefundReasonsListed = Assert<Covers<RefundReason, typeof REFUND_REASONS>>;

export type DisputeStatus = Dispute["status"];
export const DISPUTE_STATUSES = [
  "NEEDS_RESPONSE",
  "UNDER_REVIEW",
  "WON",
  "LOST",
] as const satisfies readonly DisputeStatus[];
export type DisputeStatusesListed = Assert<Covers<DisputeStatus, typeof DISPUTE_STATUSES>>;

export const CANCELLATION_REASONS = [
  "requested_by_customer",
  "duplicate",
  "fraudulent",
  "abandoned",
] as const satisfies readonly CancellationReason[];
export type CancellationReasonsListed = Assert<
  Covers<CancellationReason, typeof CANCELLATION_REASONS>
>;

/** What a timeline entry moved: the payment, one of its refunds, or its dispute. */
export type MovedObjectType = PaymentEvent["object_type"];

export const SCENARIOS = [
  "success",
  "timeout",
  "hard_failure",
  "flaky",
  "random",
] as const satisfies readonly Scenario[];
export type ScenariosListed = Assert<Covers<Scenario, typeof SCENARIOS>>;

// The document types these as plain strings: the accepted values are configuration
// (PAYGATE_CURRENCIES) and the event names of the webhook fan-out.
export const CURRENCIES = [
  "USD",
  "EUR",
  "GBP",
  "INR",
  "JPY",
  "AUD",
  "CAD",
  "SGD",
  "CHF",
  "KWD",
] as const;

export type WebhookEventType = NonNullable<
  NonNullable<
    paths["/v1/webhook_endpoints"]["post"]["requestBody"]
  >["content"]["application/json"]["enabled_events"]
>[number];
export const WEBHOOK_EVENT_TYPES = [
  "payment.succeeded",
  "payment.failed",
  "payment.retrying",
  "payment.requires_capture",
  "payment.canceled",
  "refund.succeeded",
  "refund.failed",
  "dispute.created",
  "dispute.closed",
] as const satisfies readonly WebhookEventType[];
export type WebhookEventTypesListed = Assert<Covers<WebhookEventType, typeof WEBHOOK_EVENT_TYPES>>;

/**
 * `GET /v1/metrics`. The document declares `webhooks`, `latency_ms` and `payments_per_minute`
 * as free-form maps (MetricsOut uses dicts), so their keys are spelled out here;
 * `status_counts` has every status (0 when none).
 */
export type Metrics = Omit<
  Schemas["MetricsOut"],
  "status_counts" | "webhooks" | "latency_ms" | "payments_per_minute"
> & {
  status_counts: Record<PaymentStatus, number>;
  webhooks: {
    total: number;
    PENDING: number;
    SUCCESS: number;
    FAILED: number;
    success_rate: number | null;
  };
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  payments_per_minute: { minute: string; count: number }[];
};

// Not in the public document: /healthz answers a bare JSONResponse, /dev/config exists in dev
// mode only, and the demo receiver is not part of the API.

export interface Health {
  status: string;
  dependencies: Record<string, string>;
}

export interface DevConfig {
  environment: string;
  demo_api_key: string;
  receiver_url: string;
}

export interface ReceivedDelivery {
  webhook_id: string;
  event_type: string;
  payment_id: string;
  attempt: number;
  valid_signature: boolean;
  status_code: number;
  received_at: string;
  body: unknown;
  body_sha256: string;
}

// --- Simulator settings and events ---------------------------------------------------------

export type Simulator = Schemas["SimulatorOut"];
export type ApiErrorMode = Simulator["api"]["error_mode"];
export type Range = Schemas["LatencyRangeOut"];
/** The body of `PUT /v1/simulator`: the whole object (read-only fields left out). */
export type SimulatorBody = Omit<Simulator, "object" | "version" | "updated_at" | "is_default">;
export type SimulatorPutBody =
  paths["/v1/simulator"]["put"]["requestBody"]["content"]["application/json"];
/** `simulate` as the payment shows it. */
export type Simulate = Schemas["SimulateOut"];
export type WebhookEvent = Schemas["EventOut"];
export type EventList = Schemas["EventListOut"];
export type WebhookDeliveryList = Schemas["WebhookDeliveryListOut"];
export type RecoverResult = Schemas["RecoveryOut"];
export type WebhookEndpointUpdateBody = NonNullable<
  paths["/v1/webhook_endpoints/{endpoint_id}"]["post"]["requestBody"]
>["content"]["application/json"];
