import { useEffect, useRef, useState } from "react";
import { api } from "../api/client";
import { connection } from "../api/connection";
import type { Health } from "../api/types";
import { useConnection } from "./usePolling";

export const HEALTH_INTERVAL_OK = 10_000;
export const HEALTH_INTERVAL_DOWN = 2_000;

/** Names what /healthz says is down: "mongo: down: connection refused". */
export function describeUnhealthy(health: Health): string {
  const down = Object.entries(health.dependencies ?? {}).filter(([, v]) => v !== "ok");
  if (!down.length) return `API status: ${health.status}`;
  return down.map(([name, why]) => `${name}: ${why}`).join(" · ");
}

/**
 * Watch /healthz: every 10 s while all is well, every 2 s while the API is unreachable or
 * degraded, so the banner goes away by itself soon after the API is back.
 */
export function useHealthMonitor(): { health: Health | null; checkNow: () => void } {
  const conn = useConnection();
  const [health, setHealth] = useState<Health | null>(null);
  const kick = useRef<() => void>(() => {});
  const down = conn.kind !== "online";

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = async () => {
      clearTimeout(timer);
      try {
        const res = await api.health();
        if (cancelled) return;
        setHealth(res.data);
        if (res.status === 503) {
          connection.reportDegraded(describeUnhealthy(res.data));
        } else {
          connection.reportOk();
        }
      } catch {
        // the client already reported the outage to the connection store
      }
      if (!cancelled)
        timer = setTimeout(() => void check(), down ? HEALTH_INTERVAL_DOWN : HEALTH_INTERVAL_OK);
    };
    kick.current = () => void check();
    timer = setTimeout(() => void check(), down ? HEALTH_INTERVAL_DOWN : 0);
    const onOffline = () => connection.reportBrowserOffline();
    const onOnline = () => void check();
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("online", onOnline);
    };
  }, [down]);

  return { health, checkNow: () => kick.current() };
}
