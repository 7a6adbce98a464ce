// Hash routing (#/payments/pay_123?status=FAILED): works on any static host, no server rules.

import { useSyncExternalStore, type AnchorHTMLAttributes } from "react";

export interface Route {
  path: string;
  segments: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [pathPart, queryPart = ""] = raw.split("?", 2);
  const path = pathPart.startsWith("/") ? pathPart : `/${pathPart}`;
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { path, segments, query: new URLSearchParams(queryPart) };
}

export function hrefFor(path: string, query?: Record<string, string | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) params.set(k, v);
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

function subscribe(cb: () => void) {
  window.addEventListener("hashchange", cb);
  return () => window.removeEventListener("hashchange", cb);
}

const getHash = () => window.location.hash;

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, getHash, () => "");
  return parseHash(hash);
}

export function navigate(
  path: string,
  query?: Record<string, string | undefined | null>,
  opts: { replace?: boolean } = {},
) {
  const href = hrefFor(path, query);
  if (opts.replace) {
    window.history.replaceState(window.history.state, "", href);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    window.location.hash = href.slice(1);
  }
}

export function Link({
  to,
  query,
  ...rest
}: {
  to: string;
  query?: Record<string, string | undefined | null>;
} & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return <a href={hrefFor(to, query)} {...rest} />;
}
