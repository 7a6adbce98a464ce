import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useReducer,
  useRef,
  useSyncExternalStore,
} from "react";
import { subscribeApiKey } from "../api/auth";
import { connection } from "../api/connection";
import { toApiError } from "../api/errors";
import {
  initialPollState,
  nextDelay,
  pollReducer,
  type PollAction,
  type PollState,
} from "../lib/polling";

export interface PollingOptions {
  /** Changing the key fetches at once (and marks the old data stale until it arrives). */
  key?: string;
  /** Milliseconds between polls while healthy; 0 = fetch once, no polling. */
  interval?: number;
  /** Upper bound of the back-off after failures. */
  maxBackoff?: number;
  enabled?: boolean;
}

export interface PollingResult<T> extends PollState<T> {
  /** Fetch now (e.g. after a mutation). */
  refresh: () => void;
}

export const DEFAULT_POLL_INTERVAL = 2000;

/**
 * Fetch `fetcher` now and every `interval` ms, one request at a time. Keeps the last data
 * through refreshes and errors, backs off on failure, refetches at once when the tab comes
 * back, the browser goes online, or the connection store sees the API again.
 */
export function usePolling<T>(
  fetcher: (signal: AbortSignal) => Promise<T>,
  {
    key = "",
    interval = DEFAULT_POLL_INTERVAL,
    maxBackoff = 10_000,
    enabled = true,
  }: PollingOptions = {},
): PollingResult<T> {
  const [state, dispatch] = useReducer(
    pollReducer as (s: PollState<T>, a: PollAction<T>) => PollState<T>,
    undefined,
    initialPollState<T>,
  );
  const fetcherRef = useRef(fetcher);
  // The latest fetcher, for the polling loop: updated after render, before the loop's effects.
  useLayoutEffect(() => {
    fetcherRef.current = fetcher;
  });
  const kick = useRef<() => void>(() => {});
  const failuresRef = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | null = null;
    let inFlight = false;
    let loadedOnce = false;
    failuresRef.current = 0;
    dispatch({ type: "rekey" });

    const schedule = () => {
      if (cancelled || interval <= 0) return;
      clearTimeout(timer);
      timer = setTimeout(
        () => void run(),
        nextDelay(interval, failuresRef.current, Math.max(maxBackoff, interval)),
      );
    };

    async function run() {
      if (cancelled || inFlight) return;
      clearTimeout(timer);
      if (
        typeof document !== "undefined" &&
        document.visibilityState === "hidden" &&
        failuresRef.current === 0 &&
        loadedOnce
      ) {
        schedule(); // a hidden tab does not poll; it refetches when shown
        return;
      }
      inFlight = true;
      controller = new AbortController();
      dispatch({ type: "start" });
      try {
        const data = await fetcherRef.current(controller.signal);
        if (cancelled) return;
        failuresRef.current = 0;
        loadedOnce = true;
        dispatch({ type: "success", data, at: Date.now() });
      } catch (err) {
        if (cancelled) return;
        failuresRef.current += 1;
        dispatch({ type: "failure", error: toApiError(err) });
      } finally {
        inFlight = false;
        controller = null;
      }
      schedule();
    }

    kick.current = () => {
      if (!inFlight) void run();
    };
    void run();

    const onVisible = () => {
      if (document.visibilityState === "visible") kick.current();
    };
    const onOnline = () => kick.current();
    const unsubscribe = connection.subscribe(() => {
      if (connection.getSnapshot().kind === "online" && failuresRef.current > 0) kick.current();
    });
    const unsubscribeKey = subscribeApiKey(() => {
      failuresRef.current = 0;
      kick.current();
    });
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("online", onOnline);

    return () => {
      cancelled = true;
      clearTimeout(timer);
      controller?.abort();
      unsubscribe();
      unsubscribeKey();
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("online", onOnline);
      kick.current = () => {};
    };
  }, [key, interval, maxBackoff, enabled]);

  const refresh = useCallback(() => kick.current(), []);
  return { ...state, refresh };
}

export function useConnection() {
  return useSyncExternalStore(connection.subscribe, connection.getSnapshot, connection.getSnapshot);
}
