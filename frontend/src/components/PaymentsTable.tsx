import type { Payment } from "../api/types";
import { useNow } from "../hooks/useNow";
import { describeMethod, formatAmount, formatDateTime, formatRelative } from "../lib/format";
import { Link, navigate } from "../lib/router";
import { CopyButton } from "./CopyButton";
import { StatusBadge } from "./StatusBadge";
import { cx, Mono } from "./ui";

/** Newest-first payments; each row opens the payment. */
export function PaymentsTable({ payments, compact = false, stale = false }: { payments: Payment[]; compact?: boolean; stale?: boolean }) {
  const now = useNow(5000);
  const th = "px-3 py-2 text-left text-[0.6875rem] font-semibold tracking-wider text-slate-500 uppercase first:pl-4 last:pr-4";
  const td = "px-3 py-2.5 first:pl-4 last:pr-4";
  return (
    <div className={cx("overflow-x-auto transition-opacity", stale && "opacity-60")}>
      <table data-testid="payments-table" className="min-w-full divide-y divide-slate-100 text-sm">
        <thead className="bg-slate-50/70">
          <tr>
            <th scope="col" className={th}>Payment</th>
            <th scope="col" className={cx(th, "text-right")}>Amount</th>
            <th scope="col" className={th}>Status</th>
            <th scope="col" className={cx(th, "hidden md:table-cell")}>Method</th>
            <th scope="col" className={cx(th, "hidden sm:table-cell")}>User</th>
            {!compact && <th scope="col" className={cx(th, "hidden lg:table-cell text-right")}>Attempts</th>}
            {!compact && <th scope="col" className={cx(th, "hidden lg:table-cell")}>Webhook</th>}
            <th scope="col" className={cx(th, "text-right")}>Created</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 bg-white">
          {payments.map((p) => (
            <tr
              key={p.id}
              data-testid="payment-row"
              data-payment-id={p.id}
              data-status={p.status}
              onClick={(e) => {
                if ((e.target as HTMLElement).closest("a,button")) return;
                navigate(`/payments/${p.id}`);
              }}
              className="cursor-pointer transition-colors hover:bg-indigo-50/40"
            >
              <td className={td}>
                <div className="flex items-center gap-1">
                  <Link to={`/payments/${p.id}`} className="rounded font-mono text-[0.8125rem] text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600">
                    {p.id}
                  </Link>
                  {!compact && <CopyButton text={p.id} label={`Copy ${p.id}`} />}
                </div>
                {p.description && !compact && <div className="mt-0.5 max-w-xs truncate text-xs text-slate-500">{p.description}</div>}
              </td>
              <td className={cx(td, "text-right font-medium whitespace-nowrap tabular-nums")}>
                {formatAmount(p.amount, p.currency)}
                <span className="ml-1 text-xs font-normal text-slate-400">{p.currency}</span>
              </td>
              <td className={td}>
                <StatusBadge status={p.status} />
              </td>
              <td className={cx(td, "hidden whitespace-nowrap text-slate-600 md:table-cell")}>{describeMethod(p.payment_method)}</td>
              <td className={cx(td, "hidden sm:table-cell")}>
                <Mono className="text-slate-600">{p.user_id}</Mono>
              </td>
              {!compact && (
                <td className={cx(td, "hidden text-right tabular-nums text-slate-600 lg:table-cell")}>
                  {p.attempts}/{p.max_attempts}
                  {p.retry_count > 0 && <span className="ml-1 text-xs text-amber-600">+{p.retry_count} retried</span>}
                </td>
              )}
              {!compact && (
                <td className={cx(td, "hidden lg:table-cell")}>
                  <StatusBadge status={p.webhook_status} testId="webhook-badge" />
                </td>
              )}
              <td className={cx(td, "text-right whitespace-nowrap text-slate-500")} title={formatDateTime(p.created_at)}>
                {formatRelative(p.created_at, now)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
