import { Inbox, Plus, Search } from "lucide-react";
import { useEffect, useState } from "react";
import { api } from "../api/client";
import { ApiError } from "../api/errors";
import {
  PAYMENT_STATUSES,
  type ListEnvelope,
  type Payment,
  type PaymentStatus,
} from "../api/types";
import { ErrorBox } from "../components/ErrorBox";
import { Pager, StatusFilter } from "../components/ListControls";
import { LiveIndicator } from "../components/LiveIndicator";
import { PaymentsTable } from "../components/PaymentsTable";
import { Card, EmptyState, PageHeader, Skeleton, cx, inputClass } from "../components/ui";
import { usePolling } from "../hooks/usePolling";
import { PAGE_SIZES } from "../lib/listQuery";
import { Link, navigate } from "../lib/router";

export interface PaymentsQuery {
  status: PaymentStatus | "";
  q: string;
  limit: number;
  /** The `starting_after` cursors of the pages before this one, oldest last. */
  cursors: string[];
}

export function readPaymentsQuery(query: URLSearchParams): PaymentsQuery {
  const status = query.get("status") ?? "";
  const limit = Number(query.get("limit"));
  return {
    status: (PAYMENT_STATUSES as readonly string[]).includes(status)
      ? (status as PaymentStatus)
      : "",
    q: query.get("q") ?? "",
    limit: PAGE_SIZES.includes(limit) ? limit : 25,
    cursors: (query.get("after") ?? "").split(",").filter(Boolean),
  };
}

function writePaymentsQuery(q: PaymentsQuery) {
  navigate(
    "/payments",
    {
      status: q.status || undefined,
      q: q.q || undefined,
      limit: q.limit !== 25 ? String(q.limit) : undefined,
      after: q.cursors.length ? q.cursors.join(",") : undefined,
    },
    { replace: true },
  );
}

/** Search text → what to ask the API: a payment id is looked up, anything else is a user id. */
export function searchKind(
  q: string,
): { kind: "none" } | { kind: "payment"; id: string } | { kind: "user"; userId: string } {
  const text = q.trim();
  if (!text) return { kind: "none" };
  if (/^pay_[A-Za-z0-9]+$/.test(text)) return { kind: "payment", id: text };
  return { kind: "user", userId: text };
}

async function fetchPage(q: PaymentsQuery, signal: AbortSignal): Promise<ListEnvelope<Payment>> {
  const search = searchKind(q.q);
  if (search.kind === "payment") {
    try {
      const { data } = await api.getPayment(search.id, signal);
      const match = !q.status || data.status === q.status;
      return { object: "list", url: "/v1/payments", data: match ? [data] : [], has_more: false };
    } catch (err) {
      if (err instanceof ApiError && err.code === "resource_missing") {
        return { object: "list", url: "/v1/payments", data: [], has_more: false };
      }
      throw err;
    }
  }
  const { data } = await api.listPayments(
    {
      status: q.status,
      user_id: search.kind === "user" ? search.userId : undefined,
      limit: q.limit,
      starting_after: q.cursors.at(-1),
    },
    signal,
  );
  return data;
}

export function PaymentsPage({ query }: { query: URLSearchParams }) {
  const q = readPaymentsQuery(query);
  const [searchText, setSearchText] = useState(q.q);

  // Typing updates the URL (and so the query) after a short pause.
  useEffect(() => {
    if (searchText.trim() === q.q) return;
    const t = setTimeout(
      () => writePaymentsQuery({ ...q, q: searchText.trim(), cursors: [] }),
      300,
    );
    return () => clearTimeout(t);
  }, [searchText]); // eslint-disable-line react-hooks/exhaustive-deps

  const key = JSON.stringify([q.status, q.q, q.limit, q.cursors]);
  const page = usePolling((signal) => fetchPage(q, signal), { key });
  const rows = page.data?.data ?? [];
  const filtered = Boolean(q.status || q.q);
  const pageNo = q.cursors.length + 1;

  const setStatus = (status: PaymentStatus | "") =>
    writePaymentsQuery({ ...q, status, cursors: [] });

  return (
    <div>
      <PageHeader
        title="Payments"
        subtitle="Newest first, refreshed every 2 seconds"
        actions={
          <>
            <LiveIndicator updatedAt={page.updatedAt} failing={page.failures > 0} />
            <Link
              to="/new"
              className="inline-flex items-center gap-1.5 rounded-lg bg-indigo-600 px-3.5 py-2 text-sm font-medium text-white shadow-xs hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
            >
              <Plus className="size-4" aria-hidden /> New payment
            </Link>
          </>
        }
      />
      <Card bodyClassName="p-0">
        <div className="flex flex-col gap-3 border-b border-slate-100 p-3 md:flex-row md:items-center md:justify-between">
          <StatusFilter statuses={PAYMENT_STATUSES} value={q.status} onChange={setStatus} />
          <div className="relative md:w-80">
            <label htmlFor="payment-search" className="sr-only">
              Search by payment id or user id
            </label>
            <Search
              className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-slate-400"
              aria-hidden
            />
            <input
              id="payment-search"
              type="search"
              data-testid="payment-search"
              placeholder="Search payment id (pay_…) or user id"
              className={cx(inputClass, "pl-8")}
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter")
                  writePaymentsQuery({ ...q, q: searchText.trim(), cursors: [] });
              }}
            />
          </div>
        </div>

        {page.error && (
          <ErrorBox
            error={page.error}
            title={page.data ? "Refresh failed — showing the last page" : "Could not load payments"}
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
        {page.data && rows.length > 0 && <PaymentsTable payments={rows} stale={page.stale} />}
        {page.data && rows.length === 0 && (
          <EmptyState
            icon={<Inbox className="size-5" />}
            title={
              filtered
                ? "No payments match these filters"
                : pageNo > 1
                  ? "No more payments"
                  : "No payments yet"
            }
          >
            {filtered ? (
              <button
                type="button"
                className="font-medium text-indigo-600 hover:underline"
                onClick={() => {
                  setSearchText("");
                  writePaymentsQuery({ ...q, status: "", q: "", cursors: [] });
                }}
              >
                Clear filters
              </button>
            ) : (
              <>
                <Link to="/new" className="font-medium text-indigo-600 hover:underline">
                  Create a test payment
                </Link>{" "}
                to see it here.
              </>
            )}
          </EmptyState>
        )}

        <Pager
          limit={q.limit}
          pageNo={pageNo}
          hasMore={Boolean(page.data?.has_more) && rows.length > 0}
          onLimit={(limit) => writePaymentsQuery({ ...q, limit, cursors: [] })}
          onNewer={() => writePaymentsQuery({ ...q, cursors: q.cursors.slice(0, -1) })}
          onOlder={() =>
            writePaymentsQuery({ ...q, cursors: [...q.cursors, rows[rows.length - 1].id] })
          }
        />
      </Card>
    </div>
  );
}
