// The URL state of a filtered, cursor-paged list (Refunds, Disputes): status, payment id,
// page size, and the `starting_after` cursors of the pages before this one.

import { navigate } from "./router";

export const PAGE_SIZES = [10, 25, 50, 100];
export const DEFAULT_PAGE_SIZE = 25;

export interface ListQuery<S extends string> {
  status: S | "";
  payment: string;
  limit: number;
  /** The `starting_after` cursors of the pages before this one, oldest last. */
  cursors: string[];
}

export function readListQuery<S extends string>(
  query: URLSearchParams,
  statuses: readonly S[],
): ListQuery<S> {
  const status = query.get("status") ?? "";
  const limit = Number(query.get("limit"));
  return {
    status: (statuses as readonly string[]).includes(status) ? (status as S) : "",
    payment: (query.get("payment") ?? "").trim(),
    limit: PAGE_SIZES.includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    cursors: (query.get("after") ?? "").split(",").filter(Boolean),
  };
}

/** The query string of a list page (only what differs from the defaults). */
export function listQueryParams<S extends string>(
  q: ListQuery<S>,
): Record<string, string | undefined> {
  return {
    status: q.status || undefined,
    payment: q.payment || undefined,
    limit: q.limit !== DEFAULT_PAGE_SIZE ? String(q.limit) : undefined,
    after: q.cursors.length ? q.cursors.join(",") : undefined,
  };
}

export function writeListQuery<S extends string>(path: string, q: ListQuery<S>) {
  navigate(path, listQueryParams(q), { replace: true });
}

/** A payment filter is a payment id (`pay_…`); anything else is explained, not sent. */
export function paymentFilterError(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  if (!/^pay_[A-Za-z0-9]+$/.test(t)) return "A payment id looks like pay_01J…";
  if (t.length > 64) return "At most 64 characters";
  return null;
}

/** "REQUIRES_CAPTURE" → "Requires capture" (filter buttons, labels). */
export function statusLabel(status: string): string {
  if (!status) return "All";
  const words = status.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
