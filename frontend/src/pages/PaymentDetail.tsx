import { ArrowLeft, RefreshCw, RotateCw } from "lucide-react";
import { useState, type ReactNode } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import {
  FINAL_STATUSES,
  type PaymentDetail,
  type MovedObjectType,
  type PaymentEvent,
  type Simulate,
} from "../api/types";
import { AuthorizationPanel } from "../components/AuthorizationPanel";
import { CopyButton } from "../components/CopyButton";
import { DeliveryCard } from "../components/DeliveryCard";
import { DisputePanel } from "../components/DisputePanel";
import { ErrorBox } from "../components/ErrorBox";
import { JsonView } from "../components/JsonView";
import { Money } from "../components/Money";
import { LiveIndicator } from "../components/LiveIndicator";
import { RefundPanel } from "../components/RefundPanel";
import { MOVE_COLORS, StatusBadge } from "../components/StatusBadge";
import { Button, Card, EmptyState, Mono, Skeleton, cx } from "../components/ui";
import { usePolling } from "../hooks/usePolling";
import {
  describeMethod,
  formatAmount,
  formatDateTime,
  formatDuration,
  formatTime,
  msBetween,
  shortId,
} from "../lib/format";
import { CANCELLATION_REASON_LABELS, movedObjectLabel } from "../lib/moneyMovements";
import { Link } from "../lib/router";

function Fact({
  label,
  children,
  testId,
}: {
  label: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd data-testid={testId} className="mt-0.5 truncate text-sm text-slate-900">
        {children}
      </dd>
    </div>
  );
}

const OBJECT_TONE: Record<MovedObjectType, string> = {
  payment: "bg-slate-100 text-slate-600",
  refund: "bg-indigo-50 text-indigo-700",
  dispute: "bg-orange-50 text-orange-800",
};

export function Timeline({ events, createdAt }: { events: PaymentEvent[]; createdAt: string }) {
  if (!events.length) return <EmptyState title="No state changes recorded yet" />;
  return (
    <ol data-testid="timeline" className="relative space-y-0">
      {events.map((ev, i) => {
        const delta = msBetween(createdAt, ev.at);
        const last = i === events.length - 1;
        return (
          <li
            key={ev.id}
            data-testid="timeline-event"
            data-to={ev.to}
            data-object-type={ev.object_type}
            data-object-id={ev.object_id}
            className="relative flex gap-3 pb-5 last:pb-0"
          >
            {!last && (
              <span
                aria-hidden
                className="absolute top-4 left-[0.4375rem] h-full w-px bg-slate-200"
              />
            )}
            <span
              aria-hidden
              className="relative mt-1 size-3.5 shrink-0 rounded-full border-2 border-white shadow-[0_0_0_1px_rgb(226_232_240)]"
              style={{
                background: (MOVE_COLORS as Partial<Record<string, string>>)[ev.to] ?? "#94a3b8",
              }}
            />
            <div className="min-w-0 flex-1">
              <div className="flex items-start gap-2">
                <div className="flex min-w-0 flex-1 flex-wrap items-center gap-x-2 gap-y-1">
                  <span
                    data-testid="timeline-object"
                    title={ev.object_id}
                    className={cx(
                      "rounded px-1.5 py-0.5 text-[0.6875rem] font-semibold",
                      OBJECT_TONE[ev.object_type],
                    )}
                  >
                    {ev.object_type === "payment"
                      ? "Payment"
                      : movedObjectLabel({ ...ev, object_id: shortId(ev.object_id, 8, 4) })}
                  </span>
                  {ev.from ? (
                    <StatusBadge status={ev.from} testId="timeline-from" />
                  ) : (
                    <span className="text-xs text-slate-400">new</span>
                  )}
                  <span className="text-slate-400" aria-label="to">
                    →
                  </span>
                  <StatusBadge status={ev.to} testId="timeline-to" />
                  {ev.attempt !== null && (
                    <span className="text-xs whitespace-nowrap text-slate-500">
                      attempt {ev.attempt}
                    </span>
                  )}
                </div>
                <div
                  className="shrink-0 text-right text-xs leading-tight tabular-nums"
                  title={formatDateTime(ev.at)}
                >
                  <div className="text-slate-600">{formatTime(ev.at, { millis: true })}</div>
                  {delta !== null && i > 0 && (
                    <div className="text-slate-400">+{formatDuration(delta)}</div>
                  )}
                </div>
              </div>
              <div className="mt-1 flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-slate-500">
                {ev.reason && (
                  <span data-testid="timeline-reason" className="text-slate-700">
                    {ev.reason}
                  </span>
                )}
                <span>
                  by <Mono>{ev.actor}</Mono>
                </span>
                {ev.qstash_message_id && (
                  <span>
                    message <Mono>{ev.qstash_message_id}</Mono>
                  </span>
                )}
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** `simulate` as sent: the attempt script (the last entry repeats) and the latency. */
export function SimulateSummary({ simulate }: { simulate: Simulate }) {
  const attempts = simulate.attempts ?? [];
  return (
    <span className="flex flex-wrap items-center gap-1">
      {attempts.map((a, i) => (
        <span key={i} className="inline-flex items-center gap-1">
          {i > 0 && (
            <span className="text-slate-400" aria-hidden>
              →
            </span>
          )}
          <code
            data-testid="simulate-attempt"
            className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700"
          >
            {a}
          </code>
        </span>
      ))}
      {attempts.length > 1 && <span className="text-xs text-slate-400">(last repeats)</span>}
      {simulate.gateway_latency_ms != null && (
        <span className="text-xs text-slate-500">
          · gateway latency {simulate.gateway_latency_ms} ms
        </span>
      )}
    </span>
  );
}

export function PaymentDetailPage({ id }: { id: string }) {
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<ApiError | null>(null);
  const [retried, setRetried] = useState<{ status: string; at: string } | null>(null);
  const detail = usePolling((signal) => api.getPayment(id, signal).then((r) => r.data), {
    key: id,
  });
  const p: PaymentDetail | undefined = detail.data;

  const retry = async () => {
    setRetrying(true);
    setRetryError(null);
    try {
      const res = await api.retryPayment(id);
      setRetried({ status: res.data.status, at: new Date().toISOString() });
      detail.refresh();
    } catch (err) {
      setRetryError(toApiError(err));
    } finally {
      setRetrying(false);
    }
  };

  const back = (
    <Link
      to="/payments"
      className="mb-3 inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-900"
    >
      <ArrowLeft className="size-4" aria-hidden /> Payments
    </Link>
  );

  if (!p) {
    return (
      <div>
        {back}
        {detail.error ? (
          <ErrorBox
            error={detail.error}
            title={
              detail.error.code === "resource_missing"
                ? "Payment not found"
                : "Could not load the payment"
            }
          />
        ) : (
          <div className="space-y-3">
            <Skeleton className="h-20" />
            <Skeleton className="h-64" />
          </div>
        )}
      </div>
    );
  }

  const simulate = p.simulate;
  const final = FINAL_STATUSES.includes(p.status);
  const showRefunds = p.status === "SUCCESS" || p.refunds.length > 0;
  const latency = msBetween(p.created_at, p.finalized_at);

  return (
    <div>
      {back}
      <div className="mb-5 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1
              data-testid="payment-amount"
              className="text-2xl font-semibold tracking-tight tabular-nums"
            >
              <Money
                amount={p.amount}
                currency={p.currency}
                codeClassName="ml-1.5 text-base font-normal text-slate-400"
              />
            </h1>
            <StatusBadge status={p.status} testId="payment-status" className="text-xs" />
          </div>
          <div className="mt-1 flex items-center gap-1 text-sm text-slate-500">
            <Mono data-testid="payment-id">{p.id}</Mono>
            <CopyButton text={p.id} label="Copy payment id" />
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <LiveIndicator updatedAt={detail.updatedAt} failing={detail.failures > 0} />
          <Button onClick={detail.refresh} aria-label="Refresh">
            <RefreshCw className={cx("size-4", detail.refreshing && "animate-spin")} aria-hidden />
          </Button>
          <Button
            variant="primary"
            onClick={() => void retry()}
            busy={retrying}
            disabled={p.status !== "FAILED"}
            title={
              p.status === "FAILED"
                ? "Move this payment back to RETRYING and process it again"
                : "Only FAILED payments can be retried"
            }
          >
            <RotateCw className="size-4" aria-hidden /> Retry payment
          </Button>
        </div>
      </div>

      {retryError && <ErrorBox error={retryError} title="Retry failed" className="mb-4" />}
      {retried && !retryError && (
        <p
          role="status"
          data-testid="retry-queued"
          className="mb-4 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900"
        >
          Retry accepted at {formatTime(retried.at)}: the API moved the payment to{" "}
          <strong>{retried.status}</strong> and queued it for processing again.
        </p>
      )}
      {detail.error && (
        <ErrorBox
          error={detail.error}
          title="Refresh failed — showing the last data"
          compact
          className="mb-4"
        />
      )}

      <AuthorizationPanel key={p.id} payment={p} onChanged={detail.refresh} />

      <Card className="mb-4">
        <dl className="grid grid-cols-2 gap-x-6 gap-y-4 sm:grid-cols-3 lg:grid-cols-6">
          <Fact label="Method">{describeMethod(p.payment_method)}</Fact>
          <Fact label="User">
            <Mono>{p.user_id}</Mono>
          </Fact>
          <Fact label="Attempts" testId="payment-attempts">
            {p.attempts} of {p.max_attempts}
            {p.retry_count > 0 && ` · ${p.retry_count} retried`}
          </Fact>
          <Fact label="Webhooks">
            <StatusBadge status={p.webhook_status} testId="payment-webhook-status" />
          </Fact>
          <Fact label="Capture" testId="payment-capture-method">
            {p.capture_method}
            {p.capture_method === "manual" &&
              p.status === "SUCCESS" &&
              ` · ${formatAmount(p.amount_captured, p.currency)} captured`}
          </Fact>
          <Fact label="Scenario">{p.scenario ?? <span className="text-slate-400">—</span>}</Fact>
          {simulate && (
            <div className="col-span-2 min-w-0">
              <dt className="text-xs font-medium text-slate-500">Scripted attempts</dt>
              <dd data-testid="payment-simulate" className="mt-0.5 text-sm text-slate-900">
                <SimulateSummary simulate={simulate} />
              </dd>
            </div>
          )}
          <Fact label="Latency">
            {final ? (
              formatDuration(latency)
            ) : (
              <span className="text-slate-400">
                {p.status === "REQUIRES_CAPTURE" ? "awaiting capture" : "in flight"}
              </span>
            )}
          </Fact>
          <Fact label="Created">{formatDateTime(p.created_at)}</Fact>
          <Fact label="Finalized">{formatDateTime(p.finalized_at)}</Fact>
          <Fact label="Idempotency key">
            <Mono title={p.idempotency_key}>{p.idempotency_key}</Mono>
          </Fact>
          <Fact label="Description">
            {p.description ?? <span className="text-slate-400">—</span>}
          </Fact>
          {p.cancellation_reason && (
            <Fact label="Cancellation reason" testId="payment-cancellation-reason">
              {(CANCELLATION_REASON_LABELS as Partial<Record<string, string>>)[
                p.cancellation_reason
              ] ?? p.cancellation_reason}
            </Fact>
          )}
          {p.failure && (
            <div className="col-span-2 min-w-0">
              <dt className="text-xs font-medium text-slate-500">Failure</dt>
              <dd data-testid="payment-failure" className="mt-0.5 text-sm text-rose-700">
                <code className="rounded bg-rose-50 px-1.5 py-0.5 font-mono text-xs font-semibold">
                  {p.failure.code}
                </code>{" "}
                {p.failure.message}
              </dd>
            </div>
          )}
        </dl>
      </Card>

      {(showRefunds || p.dispute) && (
        <div className="mb-4 grid gap-4 lg:grid-cols-5">
          {showRefunds && (
            <RefundPanel
              key={p.id}
              payment={p}
              onChanged={detail.refresh}
              className={p.dispute ? "lg:col-span-3" : "lg:col-span-5"}
            />
          )}
          {p.dispute && (
            <DisputePanel
              key={p.dispute.id}
              dispute={p.dispute}
              onChanged={detail.refresh}
              className={showRefunds ? "lg:col-span-2" : "lg:col-span-5"}
            />
          )}
        </div>
      )}

      <div className="grid gap-4 lg:grid-cols-5">
        <Card
          title="Timeline"
          className="lg:col-span-2"
          actions={<span className="text-xs text-slate-400">{p.events.length} state changes</span>}
        >
          <Timeline events={p.events} createdAt={p.created_at} />
        </Card>
        <Card
          title="Webhook deliveries"
          className="lg:col-span-3"
          actions={
            <span className="flex items-center gap-2 text-xs text-slate-400">
              <Link
                to="/events"
                query={{ payment: p.id }}
                className="text-indigo-700 hover:underline"
              >
                Its events
              </Link>
              {p.webhook_deliveries.length}
            </span>
          }
        >
          {p.webhook_deliveries.length ? (
            <ul className="space-y-3" data-testid="webhook-deliveries">
              {p.webhook_deliveries.map((d) => (
                <DeliveryCard key={d.id} d={d} onRedelivered={detail.refresh} />
              ))}
            </ul>
          ) : (
            <EmptyState title={final ? "No webhook deliveries" : "No webhook yet"}>
              {final
                ? "No endpoint was subscribed to this payment's events."
                : "Webhooks are sent when the payment reaches a final state (or needs capture)."}
            </EmptyState>
          )}
        </Card>
      </div>

      <Card title="Raw JSON" className="mt-4">
        <JsonView value={p} maxHeight="24rem" />
      </Card>
    </div>
  );
}
