// The Refunds and Disputes pages: one live list each, filtered by status and payment id,
// paged by cursor like the Payments page; every row opens its payment.

import { Inbox, Search } from "lucide-react";
import { useEffect, useState, type ReactNode } from "react";
import { api } from "../api/client";
import {
  DISPUTE_STATUSES,
  REFUND_STATUSES,
  type Dispute,
  type DisputeStatus,
  type ListEnvelope,
  type Refund,
  type RefundStatus,
} from "../api/types";
import { DisputesTable } from "../components/DisputesTable";
import { ErrorBox } from "../components/ErrorBox";
import { Pager, StatusFilter } from "../components/ListControls";
import { LiveIndicator } from "../components/LiveIndicator";
import { RefundsTable } from "../components/RefundsTable";
import { Card, EmptyState, PageHeader, Skeleton, cx, inputClass } from "../components/ui";
import { usePolling } from "../hooks/usePolling";
import {
  paymentFilterError,
  readListQuery,
  writeListQuery,
  type ListQuery,
} from "../lib/listQuery";

interface ListPageConfig<S extends string, T extends { id: string }> {
  path: string;
  title: string;
  subtitle: string;
  noun: string;
  statuses: readonly S[];
  fetch: (q: ListQuery<S>, signal: AbortSignal) => Promise<ListEnvelope<T>>;
  table: (rows: T[], stale: boolean) => ReactNode;
  emptyHint: ReactNode;
}

function ListPage<S extends string, T extends { id: string }>({
  config,
  query,
}: {
  config: ListPageConfig<S, T>;
  query: URLSearchParams;
}) {
  const q = readListQuery(query, config.statuses);
  const [paymentText, setPaymentText] = useState(q.payment);
  const filterError = paymentFilterError(paymentText);
  const write = (next: ListQuery<S>) => writeListQuery(config.path, next);

  // Typing a payment id filters after a short pause (once it looks like one). The pause
  // restarts when another filter changes meanwhile, so it writes the query as it is then
  // (a status picked during the pause is kept, not overwritten by the query of before).
  useEffect(() => {
    const text = paymentText.trim();
    if (text === q.payment || paymentFilterError(text)) return;
    const t = setTimeout(() => write({ ...q, payment: text, cursors: [] }), 300);
    return () => clearTimeout(t);
  }, [paymentText, q.status, q.payment, q.limit]); // eslint-disable-line react-hooks/exhaustive-deps

  const key = JSON.stringify([config.path, q.status, q.payment, q.limit, q.cursors]);
  const page = usePolling((signal) => config.fetch(q, signal), { key });
  const rows = page.data?.data ?? [];
  const filtered = Boolean(q.status || q.payment);
  const pageNo = q.cursors.length + 1;

  return (
    <div>
      <PageHeader
        title={config.title}
        subtitle={config.subtitle}
        actions={<LiveIndicator updatedAt={page.updatedAt} failing={page.failures > 0} />}
      />
      <Card bodyClassName="p-0">
        <div className="flex flex-col gap-3 border-b border-slate-100 p-3 md:flex-row md:items-start md:justify-between">
          <StatusFilter
            statuses={config.statuses}
            value={q.status}
            onChange={(status) => write({ ...q, status, cursors: [] })}
          />
          <div className="md:w-80">
            <div className="relative">
              <label htmlFor="payment-filter" className="sr-only">
                Filter by payment id
              </label>
              <Search
                className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-slate-400"
                aria-hidden
              />
              <input
                id="payment-filter"
                type="search"
                data-testid="payment-filter"
                placeholder="Filter by payment id (pay_…)"
                autoComplete="off"
                spellCheck={false}
                className={cx(inputClass, "pl-8 font-mono")}
                value={paymentText}
                aria-invalid={Boolean(filterError)}
                aria-describedby={filterError ? "payment-filter-error" : undefined}
                onChange={(e) => setPaymentText(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" && !filterError)
                    write({ ...q, payment: paymentText.trim(), cursors: [] });
                }}
              />
            </div>
            {filterError && (
              <p id="payment-filter-error" className="mt-1 text-xs text-rose-600">
                {filterError}
              </p>
            )}
          </div>
        </div>

        {page.error && (
          <ErrorBox
            error={page.error}
            title={
              page.data ? "Refresh failed — showing the last page" : `Could not load ${config.noun}`
            }
            compact={Boolean(page.data)}
            className="m-3"
          />
        )}
        {page.loading && !page.data && (
          <div className="space-y-2 p-4" aria-busy>
            {Array.from({ length: 6 }, (_, i) => (
              <Skeleton key={i} className="h-8" />
            ))}
          </div>
        )}
        {page.data && rows.length > 0 && config.table(rows, page.stale)}
        {page.data && rows.length === 0 && (
          <EmptyState
            icon={<Inbox className="size-5" />}
            title={
              filtered
                ? `No ${config.noun} match these filters`
                : pageNo > 1
                  ? `No more ${config.noun}`
                  : `No ${config.noun} yet`
            }
          >
            {filtered ? (
              <button
                type="button"
                className="font-medium text-indigo-600 hover:underline"
                onClick={() => {
                  setPaymentText("");
                  write({ ...q, status: "", payment: "", cursors: [] });
                }}
              >
                Clear filters
              </button>
            ) : (
              config.emptyHint
            )}
          </EmptyState>
        )}

        <Pager
          limit={q.limit}
          pageNo={pageNo}
          hasMore={Boolean(page.data?.has_more) && rows.length > 0}
          onLimit={(limit) => write({ ...q, limit, cursors: [] })}
          onNewer={() => write({ ...q, cursors: q.cursors.slice(0, -1) })}
          onOlder={() => write({ ...q, cursors: [...q.cursors, rows[rows.length - 1].id] })}
        />
      </Card>
    </div>
  );
}

const REFUNDS: ListPageConfig<RefundStatus, Refund> = {
  path: "/refunds",
  title: "Refunds",
  subtitle: "Newest first, refreshed every 2 seconds",
  noun: "refunds",
  statuses: REFUND_STATUSES,
  fetch: (q, signal) =>
    api
      .listRefunds(
        {
          status: q.status,
          payment: q.payment || undefined,
          limit: q.limit,
          starting_after: q.cursors.at(-1),
        },
        signal,
      )
      .then((r) => r.data),
  table: (rows, stale) => <RefundsTable refunds={rows} withPayment stale={stale} />,
  emptyHint: "Refund a SUCCESS payment from its page to see it here.",
};

const DISPUTES: ListPageConfig<DisputeStatus, Dispute> = {
  path: "/disputes",
  title: "Disputes",
  subtitle: "Newest first, refreshed every 2 seconds; answer one from its payment's page",
  noun: "disputes",
  statuses: DISPUTE_STATUSES,
  fetch: (q, signal) =>
    api
      .listDisputes(
        {
          status: q.status,
          payment: q.payment || undefined,
          limit: q.limit,
          starting_after: q.cursors.at(-1),
        },
        signal,
      )
      .then((r) => r.data),
  table: (rows, stale) => <DisputesTable disputes={rows} stale={stale} />,
  emptyHint: (
    <>
      A payment with the test card <code className="font-mono">4000000000000259</code> succeeds,
      then is disputed a few seconds later.
    </>
  ),
};

export function RefundsPage({ query }: { query: URLSearchParams }) {
  return <ListPage key="refunds" config={REFUNDS} query={query} />;
}

export function DisputesPage({ query }: { query: URLSearchParams }) {
  return <ListPage key="disputes" config={DISPUTES} query={query} />;
}
