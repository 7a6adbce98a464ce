import type { Refund } from "../api/types";
import { useNow } from "../hooks/useNow";
import { formatDateTime, formatRelative, shortId } from "../lib/format";
import { REFUND_REASON_LABELS } from "../lib/moneyMovements";
import { Link, navigate } from "../lib/router";
import { Money } from "./Money";
import { StatusBadge } from "./StatusBadge";
import { Mono, cx } from "./ui";

function openPayment(e: React.MouseEvent, paymentId: string) {
  if ((e.target as HTMLElement).closest("a,button")) return;
  navigate(`/payments/${paymentId}`);
}

const th =
  "px-3 py-2 text-left text-[0.6875rem] font-semibold tracking-wider text-slate-500 uppercase first:pl-4 last:pr-4";
const td = "px-3 py-2.5 first:pl-4 last:pr-4";

/**
 * Refunds, one row each. On the Refunds page (`withPayment`) each row names and opens its
 * payment; on a payment's page the payment is the page itself.
 */
export function RefundsTable({
  refunds,
  withPayment = false,
  stale = false,
}: {
  refunds: Refund[];
  withPayment?: boolean;
  stale?: boolean;
}) {
  const now = useNow(5000);
  return (
    <div className={cx("overflow-x-auto transition-opacity", stale && "opacity-60")}>
      <table data-testid="refunds-table" className="min-w-full divide-y divide-slate-100 text-sm">
        <thead className="bg-slate-50/70">
          <tr>
            <th scope="col" className={th}>
              Refund
            </th>
            {withPayment && (
              <th scope="col" className={th}>
                Payment
              </th>
            )}
            <th scope="col" className={cx(th, "text-right")}>
              Amount
            </th>
            <th scope="col" className={th}>
              Status
            </th>
            <th scope="col" className={cx(th, "hidden md:table-cell")}>
              Reason
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Created
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 bg-white">
          {refunds.map((r) => (
            <tr
              key={r.id}
              data-testid="refund-row"
              data-refund-id={r.id}
              data-payment-id={r.payment}
              data-status={r.status}
              onClick={withPayment ? (e) => openPayment(e, r.payment) : undefined}
              className={cx(withPayment && "cursor-pointer hover:bg-indigo-50/40")}
            >
              <td className={td}>
                <Mono className="text-slate-700" title={r.id}>
                  {withPayment ? r.id : shortId(r.id, 12, 4)}
                </Mono>
                {r.failure && (
                  <div
                    data-testid="refund-failure"
                    className="mt-0.5 max-w-xs truncate text-xs text-rose-700"
                    title={r.failure.message ?? undefined}
                  >
                    <code className="font-mono font-semibold">{r.failure.code}</code>{" "}
                    {r.failure.message}
                  </div>
                )}
              </td>
              {withPayment && (
                <td className={td}>
                  <Link
                    to={`/payments/${r.payment}`}
                    data-testid="refund-payment-link"
                    title={r.payment}
                    className="rounded font-mono text-[0.8125rem] text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    {shortId(r.payment, 14, 4)}
                  </Link>
                </td>
              )}
              <td className={cx(td, "text-right font-medium whitespace-nowrap tabular-nums")}>
                <Money amount={r.amount} currency={r.currency} />
              </td>
              <td className={td}>
                <StatusBadge status={r.status} testId="refund-status" />
              </td>
              <td className={cx(td, "hidden text-slate-600 md:table-cell")}>
                {r.reason ? (
                  REFUND_REASON_LABELS[r.reason]
                ) : (
                  <span className="text-slate-400">—</span>
                )}
              </td>
              <td
                className={cx(td, "text-right whitespace-nowrap text-slate-500")}
                title={formatDateTime(r.created_at)}
              >
                {formatRelative(r.created_at, now)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
