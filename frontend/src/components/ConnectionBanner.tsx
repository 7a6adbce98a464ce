import { CircleCheck, TriangleExclamationPoint, WifiOff } from "lucide-react";
import { useEffect, useState } from "react";
import { api } from "../api/client";
import { useHealthMonitor } from "../hooks/useHealth";
import { useNow } from "../hooks/useNow";
import { useConnection } from "../hooks/usePolling";
import { formatDuration } from "../lib/format";
import { Button } from "./ui";

/** The API is unreachable or degraded: say so, keep checking, and clear by itself. */
export function ConnectionBanner() {
  const conn = useConnection();
  const { checkNow } = useHealthMonitor();
  const now = useNow(1000);
  const [recovered, setRecovered] = useState(false);
  // "Connected again" shows for 4 s after any other state turns online (state adjusted while
  // rendering when the connection changes, as React recommends, not in an effect).
  const [previousKind, setPreviousKind] = useState(conn.kind);
  if (conn.kind !== previousKind) {
    setPreviousKind(conn.kind);
    setRecovered(conn.kind === "online");
  }
  useEffect(() => {
    if (!recovered) return;
    const t = setTimeout(() => setRecovered(false), 4000);
    return () => clearTimeout(t);
  }, [recovered]);

  if (conn.kind === "online") {
    if (!recovered) return null;
    return (
      <div
        role="status"
        data-testid="connection-restored"
        className="flex items-center gap-2 border-b border-emerald-200 bg-emerald-50 px-4 py-2 text-sm text-emerald-800 sm:px-6 lg:px-8"
      >
        <CircleCheck className="size-4" aria-hidden /> Connected to the API again.
      </div>
    );
  }

  const offline = conn.kind === "offline";
  const target = api.baseUrl || window.location.origin;
  const downFor = Math.floor(Math.max(0, now - conn.since) / 1000);
  return (
    <div
      role="alert"
      data-testid="connection-banner"
      data-kind={conn.kind}
      className={
        "flex flex-wrap items-center gap-x-3 gap-y-1 border-b px-4 py-2 text-sm sm:px-6 lg:px-8 " +
        (offline
          ? "border-rose-200 bg-rose-50 text-rose-900"
          : "border-amber-200 bg-amber-50 text-amber-900")
      }
    >
      {offline ? (
        <WifiOff className="size-4 shrink-0" aria-hidden />
      ) : (
        <TriangleExclamationPoint className="size-4 shrink-0" aria-hidden />
      )}
      <span className="font-semibold">{offline ? "API unreachable" : "API degraded"}</span>
      <span className="min-w-0 break-words">
        {offline ? `No answer from ${target}.` : conn.message} Showing the last data received;
        retrying automatically
        {downFor >= 1 ? ` (down for ${formatDuration(downFor * 1000)}).` : "."}
      </span>
      <Button size="sm" variant="ghost" className="ml-auto" onClick={checkNow}>
        Retry now
      </Button>
    </div>
  );
}
