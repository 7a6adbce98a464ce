// The state machine behind usePolling, kept pure so it can be tested without timers.
//
// Rules: data is never dropped while refreshing or after an error (no flicker, no blank
// page when the API hiccups); an answer equal to the previous one keeps the previous
// object, so React skips the re-render; failures back off exponentially up to a cap.

import type { ApiError } from "../api/errors";

export interface PollState<T> {
  data: T | undefined;
  error: ApiError | null;
  /** Nothing to show yet and a request is in flight. */
  loading: boolean;
  /** A request is in flight (data, if any, stays visible). */
  refreshing: boolean;
  /** The data shown belongs to an older key (e.g. a filter just changed). */
  stale: boolean;
  /** Consecutive failures; 0 after any success. */
  failures: number;
  updatedAt: number | null;
}

export type PollAction<T> =
  | { type: "start" }
  | { type: "success"; data: T; at: number }
  | { type: "failure"; error: ApiError }
  | { type: "rekey" };

export function initialPollState<T>(): PollState<T> {
  return {
    data: undefined,
    error: null,
    loading: true,
    refreshing: false,
    stale: false,
    failures: 0,
    updatedAt: null,
  };
}

/** Structural equality for JSON values (API answers). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

export function pollReducer<T>(state: PollState<T>, action: PollAction<T>): PollState<T> {
  switch (action.type) {
    case "start":
      if (state.refreshing && state.loading === (state.data === undefined)) return state;
      return { ...state, refreshing: true, loading: state.data === undefined };
    case "success": {
      const data =
        state.data !== undefined && jsonEqual(state.data, action.data) ? state.data : action.data;
      return {
        data,
        error: null,
        loading: false,
        refreshing: false,
        stale: false,
        failures: 0,
        updatedAt: action.at,
      };
    }
    case "failure":
      return {
        ...state,
        error: action.error,
        loading: false,
        refreshing: false,
        failures: state.failures + 1,
      };
    case "rekey":
      return {
        ...state,
        stale: state.data !== undefined,
        error: null,
        failures: 0,
        loading: state.data === undefined,
      };
  }
}

/** Delay before the next poll: the interval while healthy, doubling per failure up to `max`. */
export function nextDelay(interval: number, failures: number, max: number): number {
  if (failures <= 0) return interval;
  return Math.min(max, interval * 2 ** Math.min(failures, 16));
}
