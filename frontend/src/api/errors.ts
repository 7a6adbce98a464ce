/**
 * Every failed call becomes one `ApiError`:
 *
 *   ApiError
 *   ├── status > 0: the API answered non-2xx; code/type/message/param from its envelope
 *   │              `{"error": {type, code, message, param}}` (or `http_<status>` when the
 *   │              body was not an envelope, e.g. a proxy's HTML page)
 *   └── status = 0: no answer at all (`network_error`): the API is down or unreachable
 */

export interface ErrorEnvelope {
  error: {
    type?: string;
    code?: string;
    message?: string;
    param?: string | null;
  };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly param: string | null;
  /** Seconds, from a `Retry-After` header (429, 503). */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    code: string;
    type: string;
    message: string;
    param?: string | null;
    retryAfter?: number | null;
  }) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.type = init.type;
    this.param = init.param ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** True when no HTTP answer came back at all. */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

export function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  if (typeof body !== "object" || body === null) return false;
  const err = (body as { error?: unknown }).error;
  return typeof err === "object" && err !== null;
}

function parseRetryAfter(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.round((date - Date.now()) / 1000));
}

/** Build the ApiError for a non-2xx response whose body (if any) has been parsed. */
export function errorFromResponse(status: number, headers: Headers, body: unknown): ApiError {
  const retryAfter = parseRetryAfter(headers.get("Retry-After"));
  if (isErrorEnvelope(body)) {
    const e = body.error;
    return new ApiError({
      status,
      code: e.code ?? `http_${status}`,
      type: e.type ?? (status >= 500 ? "api_error" : "invalid_request_error"),
      message: e.message ?? `HTTP ${status}`,
      param: e.param ?? null,
      retryAfter,
    });
  }
  const text = typeof body === "string" && body.trim() ? `: ${body.trim().slice(0, 200)}` : "";
  return new ApiError({
    status,
    code: `http_${status}`,
    type: status >= 500 ? "api_error" : "invalid_request_error",
    message: `The API answered HTTP ${status} without an error body${text}`,
    retryAfter,
  });
}

export function networkError(cause: unknown): ApiError {
  const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : "";
  return new ApiError({
    status: 0,
    code: "network_error",
    type: "network_error",
    message: `Could not reach the API${detail}`,
  });
}

/** Any thrown value as an ApiError, so the UI has one thing to render. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError({ status: -1, code: "client_error", type: "client_error", message });
}
