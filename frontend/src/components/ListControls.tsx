// The filter bar and pager shared by the list pages (Payments, Refunds, Disputes).

import { ChevronLeft, ChevronRight } from "lucide-react";
import { PAGE_SIZES, statusLabel } from "../lib/listQuery";
import { Button, cx } from "./ui";

/** One radio button per status, "All" first. */
export function StatusFilter<S extends string>({
  statuses,
  value,
  onChange,
}: {
  statuses: readonly S[];
  value: S | "";
  onChange: (status: S | "") => void;
}) {
  return (
    <div
      role="radiogroup"
      aria-label="Status filter"
      data-testid="status-filter"
      className="flex flex-wrap gap-1"
    >
      {(["", ...statuses] as const).map((s) => (
        <button
          key={s || "all"}
          type="button"
          role="radio"
          aria-checked={value === s}
          onClick={() => onChange(s)}
          className={cx(
            "rounded-md px-2.5 py-1 text-xs font-medium transition-colors focus-visible:outline-2 focus-visible:outline-indigo-600",
            value === s ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100",
          )}
        >
          {statusLabel(s)}
        </button>
      ))}
    </div>
  );
}

/** Page size, page number, and Newer / Older by cursor. */
export function Pager({
  limit,
  pageNo,
  hasMore,
  onLimit,
  onNewer,
  onOlder,
}: {
  limit: number;
  pageNo: number;
  hasMore: boolean;
  onLimit: (limit: number) => void;
  onNewer: () => void;
  onOlder: () => void;
}) {
  return (
    <div className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 px-3 py-2 text-sm text-slate-500">
      <div className="flex items-center gap-2">
        <label htmlFor="page-size" className="text-xs">
          Per page
        </label>
        <select
          id="page-size"
          value={limit}
          onChange={(e) => onLimit(Number(e.target.value))}
          className="rounded-md border-0 bg-white py-1 pr-7 pl-2 text-xs ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-600"
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <span className="text-xs">Page {pageNo}</span>
      </div>
      <div className="flex gap-2">
        <Button size="sm" disabled={pageNo === 1} onClick={onNewer}>
          <ChevronLeft className="size-3.5" aria-hidden /> Newer
        </Button>
        <Button size="sm" disabled={!hasMore} onClick={onOlder}>
          Older <ChevronRight className="size-3.5" aria-hidden />
        </Button>
      </div>
    </div>
  );
}
