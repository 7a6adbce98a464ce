// Whether the API answers, as the last calls saw it. The client reports every outcome here;
// the banner and the pollers read it. A tiny external store for useSyncExternalStore.

import type { ApiError } from "./errors";

export type ConnectionState =
  | { kind: "online" }
  | { kind: "offline"; message: string; since: number }
  | { kind: "degraded"; message: string; since: number };

type Listener = () => void;

export class ConnectionStore {
  private state: ConnectionState = { kind: "online" };
  private listeners = new Set<Listener>();

  getSnapshot = (): ConnectionState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** An HTTP answer that is not a 503 proves the API is up. */
  reportOk(): void {
    if (this.state.kind !== "online") this.set({ kind: "online" });
  }

  /** A 503 the merchant asked for (Simulator `api.error_rate`) is an answer, not an outage. */
  reportError(err: ApiError): void {
    const since = this.state.kind === "online" ? Date.now() : this.state.since;
    if (err.isNetworkError) {
      this.set({ kind: "offline", message: err.message, since });
    } else if (err.status === 503 && err.code !== "simulated_outage") {
      this.reportDegraded(err.message);
    } else {
      this.reportOk();
    }
  }

  /** The API answered but says a dependency is down (503 from /healthz). */
  reportDegraded(message: string): void {
    const since = this.state.kind === "online" ? Date.now() : this.state.since;
    this.set({ kind: "degraded", message, since });
  }

  reportBrowserOffline(): void {
    const since = this.state.kind === "online" ? Date.now() : this.state.since;
    this.set({ kind: "offline", message: "This browser is offline", since });
  }

  private set(next: ConnectionState): void {
    const prev = this.state;
    if (
      prev.kind === next.kind &&
      "message" in prev &&
      "message" in next &&
      prev.message === next.message
    ) {
      return;
    }
    this.state = next;
    for (const l of this.listeners) l();
  }
}

export const connection = new ConnectionStore();
