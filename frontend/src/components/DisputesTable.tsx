import type { Dispute } from "../api/types";
import { useNow } from "../hooks/useNow";
import { formatDateTime, formatRelative, shortId } from "../lib/format";
import { disputeDeadline } from "../lib/moneyMovements";
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

/** Disputes, one row each; a row opens its payment (where the dispute is answered). */
export function DisputesTable({
  disputes,
  stale = false,
}: {
  disputes: Dispute[];
  stale?: boolean;
}) {
  const now = useNow(5000);
  return (
    <div className={cx("overflow-x-auto transition-opacity", stale && "opacity-60")}>
      <table data-testid="disputes-table" className="min-w-full divide-y divide-slate-100 text-sm">
        <thead className="bg-slate-50/70">
          <tr>
            <th scope="col" className={th}>
              Dispute
            </th>
            <th scope="col" className={th}>
              Payment
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Amount
            </th>
            <th scope="col" className={th}>
              Status
            </th>
            <th scope="col" className={cx(th, "hidden md:table-cell")}>
              Evidence due
            </th>
            <th scope="col" className={cx(th, "text-right")}>
              Opened
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 bg-white">
          {disputes.map((d) => {
            const deadline = disputeDeadline(d, now);
            return (
              <tr
                key={d.id}
                data-testid="dispute-row"
                data-dispute-id={d.id}
                data-payment-id={d.payment}
                data-status={d.status}
                onClick={(e) => openPayment(e, d.payment)}
                className="cursor-pointer hover:bg-indigo-50/40"
              >
                <td className={td}>
                  <Mono className="text-slate-700" title={d.id}>
                    {d.id}
                  </Mono>
                  <div className="text-xs text-slate-500">{d.reason}</div>
                </td>
                <td className={td}>
                  <Link
                    to={`/payments/${d.payment}`}
                    data-testid="dispute-payment-link"
                    title={d.payment}
                    className="rounded font-mono text-[0.8125rem] text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    {shortId(d.payment, 14, 4)}
                  </Link>
                </td>
                <td className={cx(td, "text-right font-medium whitespace-nowrap tabular-nums")}>
                  <Money amount={d.amount} currency={d.currency} />
                </td>
                <td className={td}>
                  <StatusBadge status={d.status} testId="dispute-status" />
                </td>
                <td
                  className={cx(
                    td,
                    "hidden whitespace-nowrap md:table-cell",
                    deadline === "overdue" || deadline === "soon"
                      ? "font-medium text-rose-700"
                      : "text-slate-600",
                  )}
                  title={formatDateTime(d.evidence_due_by)}
                >
                  {deadline === "closed" ? (
                    <span className="text-slate-400">—</span>
                  ) : (
                    formatRelative(d.evidence_due_by, now)
                  )}
                </td>
                <td
                  className={cx(td, "text-right whitespace-nowrap text-slate-500")}
                  title={formatDateTime(d.created_at)}
                >
                  {formatRelative(d.created_at, now)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
