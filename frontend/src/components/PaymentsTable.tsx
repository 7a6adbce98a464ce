import type { Payment } from "../api/types";
import { useNow } from "../hooks/useNow";
import {
  describeMethod,
  formatAmount,
  formatDateTime,
  formatRelative,
  shortId,
} from "../lib/format";
import { Link, navigate } from "../lib/router";
import { CopyButton } from "./CopyButton";
import { Money } from "./Money";
import { StatusBadge } from "./StatusBadge";
import { cx, Mono } from "./ui";

function openRow(e: React.MouseEvent, id: string) {
  if ((e.target as HTMLElement).closest("a,button")) return;
  navigate(`/payments/${id}`);
}

/** Phone widths: one stacked card per payment instead of a table. */
function PaymentList({ payments, now }: { payments: Payment[]; now: number }) {
  return (
    <ul data-testid="payments-list" className="divide-y divide-slate-100 sm:hidden">
      {payments.map((p) => (
        <li
          key={p.id}
          data-testid="payment-card"
          data-payment-id={p.id}
          onClick={(e) => openRow(e, p.id)}
          className="cursor-pointer px-4 py-3 active:bg-slate-50"
        >
          <div className="flex items-center justify-between gap-3">
            <span className="font-semibold tabular-nums">
              <Money amount={p.amount} currency={p.currency} />
            </span>
            <StatusBadge status={p.status} testId="status-badge-mobile" />
          </div>
          <div className="mt-1 flex items-center justify-between gap-3 text-xs text-slate-500">
            <Link to={`/payments/${p.id}`} className="font-mono text-indigo-700">
              {shortId(p.id, 14, 4)}
            </Link>
            <span title={formatDateTime(p.created_at)}>{formatRelative(p.created_at, now)}</span>
          </div>
          <div className="mt-0.5 truncate text-xs text-slate-500">
            {describeMethod(p.payment_method)} · <Mono className="text-xs">{p.user_id}</Mono>
          </div>
        </li>
      ))}
    </ul>
  );
}

/** Newest-first payments; each row opens the payment. */
export function PaymentsTable({
  payments,
  compact = false,
  stale = false,
}: {
  payments: Payment[];
  compact?: boolean;
  stale?: boolean;
}) {
  const now = useNow(5000);
  const th =
    "px-3 py-2 text-left text-[0.6875rem] font-semibold tracking-wider text-slate-500 uppercase first:pl-4 last:pr-4";
  const td = "px-3 py-2.5 first:pl-4 last:pr-4";
  const full = !compact;
  return (
    <div className={cx("transition-opacity", stale && "opacity-60")}>
      <PaymentList payments={payments} now={now} />
      <div className="hidden overflow-x-auto sm:block">
        <table
          data-testid="payments-table"
          className="min-w-full divide-y divide-slate-100 text-sm"
        >
          <thead className="bg-slate-50/70">
            <tr>
              <th scope="col" className={th}>
                Payment
              </th>
              <th scope="col" className={cx(th, "text-right")}>
                Amount
              </th>
              <th scope="col" className={th}>
                Status
              </th>
              <th
                scope="col"
                className={cx(th, "hidden", full ? "md:table-cell" : "2xl:table-cell")}
              >
                Method
              </th>
              {full && (
                <th scope="col" className={cx(th, "hidden md:table-cell")}>
                  User
                </th>
              )}
              {full && (
                <th scope="col" className={cx(th, "hidden text-right lg:table-cell")}>
                  Attempts
                </th>
              )}
              {full && (
                <th scope="col" className={cx(th, "hidden xl:table-cell")}>
                  Webhook
                </th>
              )}
              <th scope="col" className={cx(th, "text-right")}>
                Created
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 bg-white">
            {payments.map((p) => (
              <tr
                key={p.id}
                data-testid="payment-row"
                data-payment-id={p.id}
                data-status={p.status}
                onClick={(e) => openRow(e, p.id)}
                className="cursor-pointer transition-colors hover:bg-indigo-50/40"
              >
                <td className={td}>
                  <div className="flex items-center gap-1">
                    <Link
                      to={`/payments/${p.id}`}
                      title={p.id}
                      className="rounded font-mono text-[0.8125rem] text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                    >
                      {compact ? shortId(p.id, 14, 4) : p.id}
                    </Link>
                    {full && <CopyButton text={p.id} label={`Copy ${p.id}`} />}
                  </div>
                  {p.description && full && (
                    <div className="mt-0.5 max-w-xs truncate text-xs text-slate-500">
                      {p.description}
                    </div>
                  )}
                </td>
                <td className={cx(td, "text-right font-medium whitespace-nowrap tabular-nums")}>
                  <Money amount={p.amount} currency={p.currency} />
                  {p.amount_refunded > 0 && (
                    <div
                      data-testid="payment-refunded"
                      className="text-xs font-normal text-slate-500"
                    >
                      {formatAmount(p.amount_refunded, p.currency)} refunded
                    </div>
                  )}
                </td>
                <td className={td}>
                  <StatusBadge status={p.status} />
                </td>
                <td
                  className={cx(
                    td,
                    "hidden whitespace-nowrap text-slate-600",
                    full ? "md:table-cell" : "2xl:table-cell",
                  )}
                >
                  {describeMethod(p.payment_method)}
                </td>
                {full && (
                  <td className={cx(td, "hidden md:table-cell")}>
                    <Mono className="text-slate-600">{p.user_id}</Mono>
                  </td>
                )}
                {full && (
                  <td
                    className={cx(
                      td,
                      "hidden text-right whitespace-nowrap tabular-nums text-slate-600 lg:table-cell",
                    )}
                  >
                    {p.attempts}/{p.max_attempts}
                    {p.retry_count > 0 && (
                      <span className="ml-1 text-xs text-amber-600">↻{p.retry_count}</span>
                    )}
                  </td>
                )}
                {full && (
                  <td className={cx(td, "hidden xl:table-cell")}>
                    <StatusBadge status={p.webhook_status} testId="webhook-badge" />
                  </td>
                )}
                <td
                  className={cx(td, "text-right whitespace-nowrap text-slate-500")}
                  title={formatDateTime(p.created_at)}
                >
                  {formatRelative(p.created_at, now)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
