// Shapes of the paygate public API, as the dashboard reads them.

export const PAYMENT_STATUSES = ["CREATED", "PROCESSING", "RETRYING", "SUCCESS", "FAILED"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const FINAL_STATUSES: readonly PaymentStatus[] = ["SUCCESS", "FAILED"];

export type WebhookStatus = "PENDING" | "SUCCESS" | "FAILED" | "SKIPPED";
export type DeliveryStatus = "PENDING" | "SUCCESS" | "FAILED";

export const SCENARIOS = ["success", "timeout", "hard_failure", "flaky", "random"] as const;
export type Scenario = (typeof SCENARIOS)[number];

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

export type PaymentMethod =
  | { type: "card"; brand?: string | null; last4?: string | null }
  | { type: "upi"; vpa?: string | null }
  | { type: "wallet"; wallet?: string | null };

export type PaymentMethodInput =
  | { type: "card"; card_number?: string }
  | { type: "upi"; vpa?: string }
  | { type: "wallet"; wallet?: string };

export interface Failure {
  code: string;
  message: string;
}

export interface Payment {
  id: string;
  object: "payment";
  amount: number;
  currency: string;
  payment_method: PaymentMethod;
  user_id: string;
  description: string | null;
  status: PaymentStatus;
  attempts: number;
  max_attempts: number;
  retry_count: number;
  failure: Failure | null;
  webhook_status: WebhookStatus;
  idempotency_key: string;
  metadata: Record<string, string>;
  scenario: Scenario | null;
  created_at: string;
  updated_at: string;
  finalized_at: string | null;
}

export interface PaymentEvent {
  id: string;
  object: "payment_event";
  from: PaymentStatus | null;
  to: PaymentStatus;
  at: string;
  attempt: number;
  reason: string | null;
  actor: string;
  qstash_message_id: string | null;
}

export interface DeliveryAttempt {
  attempt: number;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
  at: string;
}

export interface WebhookDelivery {
  id: string;
  object: "webhook_delivery";
  endpoint_id: string;
  endpoint_url: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  created_at: string;
  updated_at: string;
  payload: unknown;
  attempts: DeliveryAttempt[];
}

export interface PaymentDetail extends Payment {
  events: PaymentEvent[];
  webhook_deliveries: WebhookDelivery[];
}

export interface ListEnvelope<T> {
  object: "list";
  url: string;
  data: T[];
  has_more: boolean;
}

export interface Metrics {
  object: "metrics";
  total: number;
  status_counts: Record<PaymentStatus, number>;
  success_rate: number | null;
  failure_rate: number | null;
  avg_retries: number | null;
  payment_method_distribution: Record<string, number>;
  webhooks: {
    total: number;
    PENDING: number;
    SUCCESS: number;
    FAILED: number;
    success_rate: number | null;
  };
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  payments_per_minute: { minute: string; count: number }[];
}

export interface WebhookEndpoint {
  id: string;
  object: "webhook_endpoint";
  url: string;
  enabled_events: string[];
  description: string | null;
  status: string;
  created_at: string;
  secret?: string;
}

export interface DeletedObject {
  id: string;
  object: string;
  deleted: true;
}

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

export interface CreatePaymentBody {
  amount: number;
  currency: string;
  payment_method: PaymentMethodInput;
  user_id: string;
  description?: string;
  metadata?: Record<string, string>;
  scenario?: Scenario;
}
