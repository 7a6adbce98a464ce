import { FlaskConical } from "lucide-react";
import { useSimulator } from "../hooks/useSimulator";
import { useNow } from "../hooks/useNow";
import { formatDateTime, formatRelative } from "../lib/format";
import { Link } from "../lib/router";
import { describeSettings, settingsOf } from "../lib/simulator";

/** On every page while the simulator runs anything but its defaults: what, until when, where. */
export function SimulatorBanner() {
  const { data } = useSimulator();
  const now = useNow(5000);
  if (!data || data.is_default) return null;
  const changes = describeSettings(settingsOf(data));
  return (
    <div
      role="status"
      data-testid="simulator-banner"
      className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-violet-200 bg-violet-50 px-4 py-2 text-sm text-violet-900 sm:px-6 lg:px-8"
    >
      <FlaskConical className="size-4 shrink-0" aria-hidden />
      <span className="font-semibold">Simulator settings in force</span>
      <span data-testid="simulator-banner-changes" className="min-w-0 break-words">
        {changes.join(" · ")}
      </span>
      <span data-testid="simulator-banner-expiry" className="text-violet-700">
        {data.expires_at
          ? `until ${formatDateTime(data.expires_at)} (${formatRelative(data.expires_at, now)})`
          : "no expiry"}
      </span>
      <Link
        to="/simulator"
        className="ml-auto font-medium text-violet-800 underline-offset-2 hover:underline"
      >
        Open the Simulator
      </Link>
    </div>
  );
}
