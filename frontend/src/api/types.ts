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

/** A list page: `{object: "list", url, data, has_more}` (PaymentListOut, WebhookEndpointListOut). */
export type ListEnvelope<T> = Omit<Schemas["PaymentListOut"], "data"> & { data: T[] };

/** The body of `POST /v1/payments` (documented inline, not as a component). */
export type CreatePaymentBody =
  paths["/v1/payments"]["post"]["requestBody"]["content"]["application/json"];
export type PaymentMethodInput = CreatePaymentBody["payment_method"];

export type PaymentStatus = Payment["status"];
export type WebhookStatus = Payment["webhook_status"];
export type DeliveryStatus = WebhookDelivery["status"];
export type Scenario = NonNullable<CreatePaymentBody["scenario"]>;

export const PAYMENT_STATUSES = [
  "CREATED",
  "PROCESSING",
  "RETRYING",
  "SUCCESS",
  "FAILED",
] as const satisfies readonly PaymentStatus[];
export type PaymentStatusesListed = Assert<Covers<PaymentStatus, typeof PAYMENT_STATUSES>>;
export const FINAL_STATUSES: readonly PaymentStatus[] = ["SUCCESS", "FAILED"];

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

export const WEBHOOK_EVENT_TYPES = [
  "payment.succeeded",
  "payment.failed",
  "payment.retrying",
] as const;

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
