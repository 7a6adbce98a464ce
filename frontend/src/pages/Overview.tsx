import { ArrowUpRight, Inbox } from "lucide-react";
import { lazy, Suspense, type ReactNode } from "react";
import { api } from "../api/client";
import { ErrorBox } from "../components/ErrorBox";
import { LiveIndicator } from "../components/LiveIndicator";
import { PaymentsTable } from "../components/PaymentsTable";
import { Card, EmptyState, PageHeader, Skeleton, cx } from "../components/ui";
import { usePolling } from "../hooks/usePolling";
import { formatDuration, formatNumber, formatPercent, formatRefunded } from "../lib/format";
import { Link } from "../lib/router";

// recharts is most of the bundle: load it only on this page.
const charts = () => import("../components/Charts");
const PaymentsPerMinuteChart = lazy(() =>
  charts().then((m) => ({ default: m.PaymentsPerMinuteChart })),
);
const StatusDistributionChart = lazy(() =>
  charts().then((m) => ({ default: m.StatusDistributionChart })),
);
const MethodDistributionChart = lazy(() =>
  charts().then((m) => ({ default: m.MethodDistributionChart })),
);

function ChartSlot({ children, ready }: { children: ReactNode; ready: boolean }) {
  const skeleton = <Skeleton className="h-56" />;
  return ready ? <Suspense fallback={skeleton}>{children}</Suspense> : skeleton;
}

function StatCard({
  label,
  value,
  note,
  sub,
  testId,
  tone,
}: {
  label: string;
  value: ReactNode;
  /** A small grey remark after the value ("p50", "2 pending · 0 failed"). */
  note?: ReactNode;
  sub?: ReactNode;
  testId: string;
  tone?: "good" | "bad" | "warn";
}) {
  return (
    <div
      data-testid={testId}
      className="rounded-xl border border-slate-200 bg-white px-4 py-3.5 shadow-xs"
    >
      <div className="text-xs font-medium text-slate-500">{label}</div>
      <div
        data-testid={`${testId}-value`}
        className={cx(
          "mt-1 text-2xl font-semibold tracking-tight tabular-nums",
          tone === "good"
            ? "text-emerald-600"
            : tone === "bad"
              ? "text-rose-600"
              : tone === "warn"
                ? "text-amber-600"
                : "text-slate-900",
        )}
      >
        {note ? (
          <span className="whitespace-nowrap">
            {value}
            <span
              data-testid={`${testId}-note`}
              className="ml-1 text-xs font-medium text-slate-400"
            >
              {note}
            </span>
          </span>
        ) : (
          value
        )}
      </div>
      {sub && <div className="mt-0.5 truncate text-xs text-slate-500">{sub}</div>}
    </div>
  );
}

const METRIC_CARDS = 7;

export function OverviewPage() {
  const metrics = usePolling((signal) => api.metrics(signal).then((r) => r.data), {
    key: "metrics",
  });
  const recent = usePolling(
    (signal) => api.listPayments({ limit: 8 }, signal).then((r) => r.data),
    { key: "recent" },
  );
  const m = metrics.data;

  return (
    <div>
      <PageHeader
        title="Overview"
        subtitle="Payments and webhooks across this merchant account"
        actions={<LiveIndicator updatedAt={metrics.updatedAt} failing={metrics.failures > 0} />}
      />
      {metrics.error && !m && (
        <ErrorBox error={metrics.error} title="Could not load metrics" className="mb-4" />
      )}
      {metrics.error && m && (
        <ErrorBox
          error={metrics.error}
          title="Refresh failed — showing the last metrics"
          compact
          className="mb-4"
        />
      )}

      <div
        data-testid="metric-cards"
        className="grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-7"
      >
        {m ? (
          <>
            <StatCard
              testId="metric-total"
              label="Total payments"
              value={formatNumber(m.total)}
              sub={`${formatNumber(m.status_counts.PROCESSING + m.status_counts.RETRYING + m.status_counts.CREATED)} in flight`}
            />
            <StatCard
              testId="metric-success-rate"
              label="Success rate"
              value={formatPercent(m.success_rate)}
              tone={m.success_rate === null ? undefined : "good"}
              sub={`${formatNumber(m.status_counts.SUCCESS)} succeeded`}
            />
            <StatCard
              testId="metric-failure-rate"
              label="Failure rate"
              value={formatPercent(m.failure_rate)}
              tone={m.failure_rate ? "bad" : undefined}
              sub={`${formatNumber(m.status_counts.FAILED)} failed`}
            />
            <StatCard
              testId="metric-avg-retries"
              label="Avg retries"
              value={formatNumber(m.avg_retries, 2)}
              sub="per payment"
            />
            <StatCard
              testId="metric-webhook-success"
              label="Webhook success"
              value={formatPercent(m.webhooks.success_rate)}
              tone={m.webhooks.FAILED ? "warn" : undefined}
              sub={`${formatNumber(m.webhooks.SUCCESS)}/${formatNumber(m.webhooks.total)} delivered`}
            />
            <StatCard
              testId="metric-latency"
              label="Latency to final state"
              value={formatDuration(m.latency_ms.p50)}
              note="p50"
              sub={
                <span data-testid="metric-latency-p95">
                  p95 {formatDuration(m.latency_ms.p95)} · p99 {formatDuration(m.latency_ms.p99)}
                </span>
              }
            />
            <StatCard
              testId="metric-refunds"
              label="Refunds succeeded"
              value={formatNumber(m.refunds.succeeded)}
              note={
                m.refunds.pending + m.refunds.failed > 0 &&
                `${formatNumber(m.refunds.pending)} pending · ${formatNumber(m.refunds.failed)} failed`
              }
              tone={m.refunds.failed ? "warn" : undefined}
              sub={
                <span data-testid="metric-refunds-detail">
                  {formatRefunded(m.refunds.amount_refunded_by_currency)}
                </span>
              }
            />
          </>
        ) : (
          Array.from({ length: METRIC_CARDS }, (_, i) => (
            <Skeleton key={i} className="h-[5.25rem] rounded-xl" />
          ))
        )}
      </div>

      <div className="mt-4 grid gap-4 lg:grid-cols-3">
        <Card
          title="Payments per minute"
          className="lg:col-span-2"
          actions={<span className="text-xs text-slate-400">last 30 minutes</span>}
        >
          <ChartSlot ready={Boolean(m)}>
            {m && <PaymentsPerMinuteChart data={m.payments_per_minute} />}
          </ChartSlot>
        </Card>
        <Card title="Status distribution">
          <ChartSlot ready={Boolean(m)}>
            {m && <StatusDistributionChart counts={m.status_counts} />}
          </ChartSlot>
        </Card>
        <Card title="Payment methods">
          <ChartSlot ready={Boolean(m)}>
            {m && <MethodDistributionChart distribution={m.payment_method_distribution} />}
          </ChartSlot>
        </Card>
        <Card
          title="Recent payments"
          className="lg:col-span-2"
          bodyClassName="p-0"
          actions={
            <Link
              to="/payments"
              className="inline-flex items-center gap-0.5 text-xs font-medium text-indigo-600 hover:underline"
            >
              All payments <ArrowUpRight className="size-3.5" aria-hidden />
            </Link>
          }
        >
          {recent.error && !recent.data && <ErrorBox error={recent.error} className="m-4" />}
          {recent.data && recent.data.data.length > 0 && (
            <PaymentsTable payments={recent.data.data} compact />
          )}
          {recent.data && recent.data.data.length === 0 && (
            <EmptyState icon={<Inbox className="size-5" />} title="No payments yet">
              <Link to="/new" className="font-medium text-indigo-600 hover:underline">
                Create a test payment
              </Link>{" "}
              to see it here.
            </EmptyState>
          )}
          {!recent.data && !recent.error && (
            <div className="space-y-2 p-4">
              {Array.from({ length: 4 }, (_, i) => (
                <Skeleton key={i} className="h-7" />
              ))}
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}
