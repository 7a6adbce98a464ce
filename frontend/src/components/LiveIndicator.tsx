import { useNow } from "../hooks/useNow";
import { formatRelative } from "../lib/format";
import { cx } from "./ui";

/** "Live · updated 2s ago" (or "Paused" / "Reconnecting…" when polls fail). */
export function LiveIndicator({
  updatedAt,
  failing,
}: {
  updatedAt: number | null;
  failing?: boolean;
}) {
  const now = useNow(1000);
  const label = failing
    ? "Reconnecting…"
    : updatedAt
      ? `updated ${formatRelative(new Date(updatedAt).toISOString(), now)}`
      : "loading…";
  return (
    <span
      data-testid="live-indicator"
      className="inline-flex items-center gap-1.5 text-xs text-slate-500"
    >
      <span className="relative flex size-2">
        {!failing && (
          <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-60" />
        )}
        <span
          className={cx(
            "relative inline-flex size-2 rounded-full",
            failing ? "bg-amber-400" : "bg-emerald-500",
          )}
        />
      </span>
      <span className="font-medium text-slate-600">{failing ? "Offline" : "Live"}</span>
      <span aria-live="off">· {label}</span>
    </span>
  );
}
