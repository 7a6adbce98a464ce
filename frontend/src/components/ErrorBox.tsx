import { CircleExclamationPoint } from "lucide-react";
import type { ApiError } from "../api/errors";
import { cx } from "./ui";

/** A sentence on what to do about some error codes, beside the API's own message. */
export const ERROR_HINTS: Record<string, string> = {
  idempotency_key_reused:
    "This idempotency key was already used with a different request body. Send the original body to get the stored answer replayed, or generate a new key for a new payment.",
  idempotency_key_in_use:
    "A request with this idempotency key is still being processed. Wait a moment and send it again.",
  idempotency_key_missing: "Every POST /v1/payments needs an Idempotency-Key header.",
  missing_api_key: "Set your API key with the key button at the top.",
  invalid_api_key: "The API key was not accepted. Check it with the key button at the top.",
  invalid_state:
    "The object is not in a state that allows this (it may have moved meanwhile): the page shows its current state. Retry needs FAILED, capture REQUIRES_CAPTURE, cancel CREATED, RETRYING or REQUIRES_CAPTURE, a refund SUCCESS, evidence and accepting a dispute NEEDS_RESPONSE.",
  amount_too_large:
    "The amount is more than the payment allows: a capture at most the authorized amount, refunds together at most what was captured (pending refunds count).",
  simulated_outage:
    "The Simulator's API error rate is on: this 503 was asked for. Change or reset it on the Simulator page; with error mode after_commit the request took effect, so send it again with the same idempotency key.",
  rate_limited: "Too many requests: wait and try again.",
  network_error: "The API did not answer. The dashboard keeps trying and recovers by itself.",
  service_unavailable: "A service the API depends on is down. The dashboard keeps trying.",
};

export function ErrorBox({
  error,
  title = "Request failed",
  className,
  compact = false,
}: {
  error: ApiError;
  title?: string;
  className?: string;
  compact?: boolean;
}) {
  const hint = ERROR_HINTS[error.code];
  return (
    <div
      role="alert"
      data-testid="api-error"
      data-code={error.code}
      className={cx(
        "rounded-lg border border-rose-200 bg-rose-50 text-sm text-rose-900",
        compact ? "p-3" : "p-4",
        className,
      )}
    >
      <div className="flex items-start gap-3">
        <CircleExclamationPoint className="mt-0.5 size-5 shrink-0 text-rose-500" aria-hidden />
        <div className="min-w-0 flex-1 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-semibold">{title}</span>
            <code
              data-testid="api-error-code"
              className="rounded bg-rose-100 px-1.5 py-0.5 font-mono text-xs font-semibold text-rose-800"
            >
              {error.code}
            </code>
            {error.status > 0 && (
              <span className="font-mono text-xs text-rose-700">HTTP {error.status}</span>
            )}
            {error.param && (
              <span className="text-xs text-rose-700">
                param <code className="font-mono">{error.param}</code>
              </span>
            )}
          </div>
          <p data-testid="api-error-message" className="break-words">
            {error.message}
          </p>
          {hint && !compact && <p className="text-rose-800/80">{hint}</p>}
          {error.retryAfter !== null && (
            <p className="text-xs text-rose-700">Retry after {error.retryAfter}s.</p>
          )}
        </div>
      </div>
    </div>
  );
}
