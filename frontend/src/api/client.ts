/**
 * The one way the dashboard talks to paygate: one base URL, one key, one error type.
 *
 *   const { data, replayed } = await api.createPayment(body, key);
 *
 * Non-2xx answers throw `ApiError` (see errors.ts); every outcome is reported to the
 * connection store so the offline banner knows whether the API answers.
 */

import { getApiKey } from "./auth";
import { connection, type ConnectionStore } from "./connection";
import { ApiError, errorFromResponse, networkError } from "./errors";
import type {
  CancelBody,
  CaptureBody,
  CreatePaymentBody,
  EventList,
  SimulatorPutBody,
  WebhookDeliveryList,
  WebhookEndpointUpdateBody,
  CreateRefundBody,
  DeletedObject,
  DevConfig,
  Dispute,
  DisputeEvidenceBody,
  DisputeList,
  DisputeStatus,
  Health,
  ListEnvelope,
  Metrics,
  Payment,
  PaymentDetail,
  PaymentStatus,
  Refund,
  RefundList,
  RecoverResult,
  RefundStatus,
  Simulator,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEvent,
} from "./types";

export const DEFAULT_TIMEOUT_MS = 15_000;

export interface ApiResponse<T> {
  data: T;
  status: number;
  /** The server answered from its idempotency store (`Idempotent-Replayed: true`). */
  replayed: boolean;
  headers: Headers;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Send the API key (default true for /v1 routes). */
  auth?: boolean;
  /** Non-2xx statuses that return normally instead of throwing (e.g. 503 from /healthz). */
  allowStatus?: number[];
}

export interface ClientOptions {
  baseUrl?: string;
  getApiKey?: () => string | null;
  fetch?: typeof fetch;
  connection?: ConnectionStore | null;
  timeoutMs?: number;
}

/** `VITE_API_URL` without its trailing slash; empty means same origin. */
export function normalizeBaseUrl(url: string | undefined | null): string {
  return (url ?? "").trim().replace(/\/+$/, "");
}

export function buildUrl(baseUrl: string, path: string, query?: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return `${baseUrl}${path}${qs ? `?${qs}` : ""}`;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  const type = res.headers.get("Content-Type") ?? "";
  if (type.includes("json") || /^[[{]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly keyGetter: () => string | null;
  private readonly fetchImpl: typeof fetch;
  private readonly conn: ConnectionStore | null;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = normalizeBaseUrl(opts.baseUrl);
    this.keyGetter = opts.getApiKey ?? getApiKey;
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.conn = opts.connection === undefined ? connection : opts.connection;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    const auth = opts.auth ?? path.startsWith("/v1/");
    if (auth) {
      const key = this.keyGetter();
      if (!key) {
        throw new ApiError({
          status: 401,
          code: "missing_api_key",
          type: "authentication_error",
          message: "No API key set. Enter your API key (top right) to use the dashboard.",
        });
      }
      headers.Authorization = `Bearer ${key}`;
    }
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }

    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error("request timed out")),
      this.timeoutMs,
    );
    const onAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener("abort", onAbort);

    let res: Response;
    try {
      res = await this.fetchImpl(buildUrl(this.baseUrl, path, opts.query), {
        method,
        headers,
        body,
        signal: controller.signal,
      });
    } catch (cause) {
      if (opts.signal?.aborted) throw cause; // the caller cancelled: not an outage
      const err = networkError(cause);
      this.conn?.reportError(err);
      throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }

    const parsed = await readBody(res);
    if (!res.ok && !opts.allowStatus?.includes(res.status)) {
      const err = errorFromResponse(res.status, res.headers, parsed);
      this.conn?.reportError(err);
      throw err;
    }
    if (res.ok) this.conn?.reportOk();
    return {
      data: parsed as T,
      status: res.status,
      replayed: (res.headers.get("Idempotent-Replayed") ?? "").toLowerCase() === "true",
      headers: res.headers,
    };
  }

  // --- payments -------------------------------------------------------------------------

  listPayments(
    params: {
      status?: PaymentStatus | "";
      user_id?: string;
      limit?: number;
      starting_after?: string;
    },
    signal?: AbortSignal,
  ) {
    return this.request<ListEnvelope<Payment>>("GET", "/v1/payments", {
      query: { ...params },
      signal,
    });
  }

  getPayment(id: string, signal?: AbortSignal) {
    return this.request<PaymentDetail>("GET", `/v1/payments/${encodeURIComponent(id)}`, { signal });
  }

  createPayment(body: CreatePaymentBody, idempotencyKey: string) {
    return this.request<Payment>("POST", "/v1/payments", {
      body,
      headers: { "Idempotency-Key": idempotencyKey },
    });
  }

  retryPayment(id: string) {
    return this.request<Payment>("POST", `/v1/payments/${encodeURIComponent(id)}/retry`);
  }

  capturePayment(id: string, body: CaptureBody = {}) {
    return this.request<Payment>("POST", `/v1/payments/${encodeURIComponent(id)}/capture`, {
      body,
    });
  }

  cancelPayment(id: string, body: CancelBody = {}) {
    return this.request<Payment>("POST", `/v1/payments/${encodeURIComponent(id)}/cancel`, {
      body,
    });
  }

  // --- refunds and disputes -------------------------------------------------------------

  createRefund(body: CreateRefundBody, idempotencyKey: string) {
    return this.request<Refund>("POST", "/v1/refunds", {
      body,
      headers: { "Idempotency-Key": idempotencyKey },
    });
  }

  listRefunds(
    params: {
      payment?: string;
      status?: RefundStatus | "";
      limit?: number;
      starting_after?: string;
    },
    signal?: AbortSignal,
  ) {
    return this.request<RefundList>("GET", "/v1/refunds", { query: { ...params }, signal });
  }

  getRefund(id: string, signal?: AbortSignal) {
    return this.request<Refund>("GET", `/v1/refunds/${encodeURIComponent(id)}`, { signal });
  }

  listDisputes(
    params: {
      payment?: string;
      status?: DisputeStatus | "";
      limit?: number;
      starting_after?: string;
    },
    signal?: AbortSignal,
  ) {
    return this.request<DisputeList>("GET", "/v1/disputes", { query: { ...params }, signal });
  }

  getDispute(id: string, signal?: AbortSignal) {
    return this.request<Dispute>("GET", `/v1/disputes/${encodeURIComponent(id)}`, { signal });
  }

  submitDisputeEvidence(id: string, body: DisputeEvidenceBody) {
    return this.request<Dispute>("POST", `/v1/disputes/${encodeURIComponent(id)}/evidence`, {
      body,
    });
  }

  closeDispute(id: string) {
    return this.request<Dispute>("POST", `/v1/disputes/${encodeURIComponent(id)}/close`);
  }

  metrics(signal?: AbortSignal) {
    return this.request<Metrics>("GET", "/v1/metrics", { signal });
  }

  // --- webhooks -------------------------------------------------------------------------

  listWebhookEndpoints(signal?: AbortSignal) {
    return this.request<ListEnvelope<WebhookEndpoint>>("GET", "/v1/webhook_endpoints", {
      query: { limit: 100 },
      signal,
    });
  }

  createWebhookEndpoint(body: { url: string; enabled_events?: string[]; description?: string }) {
    return this.request<WebhookEndpoint>("POST", "/v1/webhook_endpoints", { body });
  }

  deleteWebhookEndpoint(id: string) {
    return this.request<DeletedObject>("DELETE", `/v1/webhook_endpoints/${encodeURIComponent(id)}`);
  }

  rotateWebhookSecret(id: string) {
    return this.request<WebhookEndpoint>(
      "POST",
      `/v1/webhook_endpoints/${encodeURIComponent(id)}/rotate_secret`,
    );
  }

  updateWebhookEndpoint(id: string, body: WebhookEndpointUpdateBody) {
    return this.request<WebhookEndpoint>(
      "POST",
      `/v1/webhook_endpoints/${encodeURIComponent(id)}`,
      { body },
    );
  }

  recoverWebhookEndpoint(id: string, since: string) {
    return this.request<RecoverResult>(
      "POST",
      `/v1/webhook_endpoints/${encodeURIComponent(id)}/recover`,
      { body: { since } },
    );
  }

  enableWebhookEndpoint(id: string) {
    return this.request<WebhookEndpoint>(
      "POST",
      `/v1/webhook_endpoints/${encodeURIComponent(id)}/enable`,
    );
  }

  redeliver(deliveryId: string) {
    return this.request<WebhookDelivery>(
      "POST",
      `/v1/webhook_deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
    );
  }

  // --- events ---------------------------------------------------------------------------

  listEvents(
    params: { type?: string; payment?: string; limit?: number; starting_after?: string },
    signal?: AbortSignal,
  ) {
    return this.request<EventList>("GET", "/v1/events", {
      query: { ...params },
      signal,
    });
  }

  getEvent(id: string, signal?: AbortSignal) {
    return this.request<WebhookEvent>("GET", `/v1/events/${encodeURIComponent(id)}`, { signal });
  }

  listEventDeliveries(id: string, signal?: AbortSignal) {
    return this.request<WebhookDeliveryList>(
      "GET",
      `/v1/events/${encodeURIComponent(id)}/deliveries`,
      { signal },
    );
  }

  // --- simulator ------------------------------------------------------------------------

  getSimulator(signal?: AbortSignal) {
    return this.request<Simulator>("GET", "/v1/simulator", { signal });
  }

  putSimulator(body: SimulatorPutBody) {
    return this.request<Simulator>("PUT", "/v1/simulator", { body });
  }

  resetSimulator() {
    return this.request<Simulator>("DELETE", "/v1/simulator");
  }

  // --- service --------------------------------------------------------------------------

  health(signal?: AbortSignal) {
    return this.request<Health>("GET", "/healthz", { signal, auth: false, allowStatus: [503] });
  }

  devConfig(signal?: AbortSignal) {
    return this.request<DevConfig>("GET", "/dev/config", { signal, auth: false });
  }
}

export const api = new ApiClient({ baseUrl: import.meta.env.VITE_API_URL });
