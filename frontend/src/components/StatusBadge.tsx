import type { DisputeStatus, PaymentStatus, RefundStatus } from "../api/types";
import { cx } from "./ui";

const STYLES: Record<string, { pill: string; dot: string; pulse?: boolean }> = {
  CREATED: { pill: "bg-slate-100 text-slate-700 ring-slate-300/60", dot: "bg-slate-400" },
  PROCESSING: { pill: "bg-sky-50 text-sky-700 ring-sky-600/20", dot: "bg-sky-500", pulse: true },
  RETRYING: {
    pill: "bg-amber-50 text-amber-800 ring-amber-600/25",
    dot: "bg-amber-500",
    pulse: true,
  },
  SUCCESS: { pill: "bg-emerald-50 text-emerald-700 ring-emerald-600/20", dot: "bg-emerald-500" },
  FAILED: { pill: "bg-rose-50 text-rose-700 ring-rose-600/20", dot: "bg-rose-500" },
  PENDING: {
    pill: "bg-slate-100 text-slate-700 ring-slate-300/60",
    dot: "bg-slate-400",
    pulse: true,
  },
  SKIPPED: { pill: "bg-white text-slate-500 ring-slate-200", dot: "bg-slate-300" },
  // payments waiting on the merchant, and payments called off
  REQUIRES_CAPTURE: {
    pill: "bg-violet-50 text-violet-700 ring-violet-600/25",
    dot: "bg-violet-500",
  },
  CANCELED: { pill: "bg-zinc-100 text-zinc-600 ring-zinc-400/40", dot: "bg-zinc-400" },
  // refunds (PENDING and FAILED above)
  SUCCEEDED: { pill: "bg-emerald-50 text-emerald-700 ring-emerald-600/20", dot: "bg-emerald-500" },
  // disputes
  NEEDS_RESPONSE: {
    pill: "bg-orange-50 text-orange-800 ring-orange-600/30",
    dot: "bg-orange-500",
    pulse: true,
  },
  UNDER_REVIEW: { pill: "bg-sky-50 text-sky-700 ring-sky-600/20", dot: "bg-sky-500", pulse: true },
  WON: { pill: "bg-emerald-50 text-emerald-700 ring-emerald-600/20", dot: "bg-emerald-500" },
  LOST: { pill: "bg-rose-50 text-rose-700 ring-rose-600/20", dot: "bg-rose-500" },
};

export const STATUS_COLORS: Record<PaymentStatus, string> = {
  CREATED: "#94a3b8",
  PROCESSING: "#0ea5e9",
  RETRYING: "#f59e0b",
  REQUIRES_CAPTURE: "#8b5cf6",
  SUCCESS: "#10b981",
  FAILED: "#f43f5e",
  CANCELED: "#a1a1aa",
};

/** The dot colour of a move in the timeline, whatever moved (payment, refund, dispute). */
export const MOVE_COLORS: Record<PaymentStatus | RefundStatus | DisputeStatus, string> = {
  ...STATUS_COLORS,
  PENDING: "#94a3b8",
  SUCCEEDED: "#10b981",
  NEEDS_RESPONSE: "#f97316",
  UNDER_REVIEW: "#0ea5e9",
  WON: "#10b981",
  LOST: "#f43f5e",
};

export function StatusBadge({
  status,
  testId = "status-badge",
  className,
}: {
  /** A payment, refund, dispute, webhook or delivery status. */
  status: string;
  testId?: string;
  className?: string;
}) {
  const s = STYLES[status] ?? STYLES.CREATED;
  return (
    <span
      data-testid={testId}
      data-status={status}
      className={cx(
        "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-[0.6875rem] font-semibold tracking-wide ring-1 ring-inset",
        s.pill,
        className,
      )}
    >
      <span className="relative flex size-1.5">
        {s.pulse && (
          <span
            className={cx(
              "absolute inline-flex size-full animate-ping rounded-full opacity-60",
              s.dot,
            )}
          />
        )}
        <span className={cx("relative inline-flex size-1.5 rounded-full", s.dot)} />
      </span>
      {status}
    </span>
  );
}

export function HttpStatus({ code }: { code: number | null }) {
  if (code === null) return <span className="text-slate-400">—</span>;
  const cls =
    code >= 200 && code < 300
      ? "text-emerald-700 bg-emerald-50"
      : code >= 500
        ? "text-rose-700 bg-rose-50"
        : "text-amber-800 bg-amber-50";
  return (
    <span className={cx("rounded px-1.5 py-0.5 font-mono text-xs font-semibold", cls)}>{code}</span>
  );
}
