import { Send } from "lucide-react";
import { useState } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import type { WebhookDelivery } from "../api/types";
import { formatDateTime, formatDuration, formatTime } from "../lib/format";
import { ErrorBox } from "./ErrorBox";
import { JsonView } from "./JsonView";
import { HttpStatus, StatusBadge } from "./StatusBadge";
import { Button, Mono } from "./ui";

/** One webhook delivery: its attempts, its payload, and a Redeliver button. */
export function DeliveryCard({
  d,
  onRedelivered,
}: {
  d: WebhookDelivery;
  onRedelivered: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [queued, setQueued] = useState(false);
  const redeliver = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.redeliver(d.id);
      setQueued(true);
      onRedelivered();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li
      data-testid="webhook-delivery"
      data-delivery-id={d.id}
      className="rounded-lg border border-slate-200"
    >
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 px-3 py-2">
        <Mono className="font-medium text-slate-800">{d.event_type}</Mono>
        <StatusBadge status={d.status} testId="delivery-status" />
        <span className="min-w-0 flex-1 truncate text-xs text-slate-500" title={d.endpoint_url}>
          → {d.endpoint_url}
        </span>
        {queued && <span className="text-xs text-emerald-700">redelivery queued</span>}
        <Button
          size="sm"
          onClick={() => void redeliver()}
          busy={busy}
          aria-label={`Redeliver ${d.event_type} to ${d.endpoint_url}`}
        >
          <Send className="size-3.5" aria-hidden /> Redeliver
        </Button>
      </div>
      {error && <ErrorBox error={error} title="Redeliver failed" compact className="m-3" />}
      <div className="overflow-x-auto">
        <table className="min-w-full text-xs">
          <thead className="text-left text-slate-500">
            <tr>
              <th scope="col" className="px-3 py-1.5 font-medium">
                Attempt
              </th>
              <th scope="col" className="px-3 py-1.5 font-medium">
                Time
              </th>
              <th scope="col" className="px-3 py-1.5 font-medium">
                Status
              </th>
              <th scope="col" className="px-3 py-1.5 text-right font-medium">
                Duration
              </th>
              <th scope="col" className="px-3 py-1.5 font-medium">
                Error
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {d.attempts.length === 0 && (
              <tr>
                <td colSpan={5} className="px-3 py-2 text-slate-400">
                  No attempt yet
                </td>
              </tr>
            )}
            {d.attempts.map((a) => (
              <tr key={`${a.attempt}-${a.at}`} data-testid="delivery-attempt">
                <td className="px-3 py-1.5 tabular-nums">#{a.attempt}</td>
                <td
                  className="px-3 py-1.5 tabular-nums text-slate-600"
                  title={formatDateTime(a.at)}
                >
                  {formatTime(a.at, { millis: true })}
                </td>
                <td className="px-3 py-1.5">
                  <HttpStatus code={a.status_code} />
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums text-slate-600">
                  {formatDuration(a.duration_ms)}
                </td>
                <td
                  className="max-w-xs truncate px-3 py-1.5 text-rose-700"
                  title={a.error ?? undefined}
                >
                  {a.error ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details className="border-t border-slate-100 px-3 py-2 text-xs">
        <summary className="cursor-pointer text-slate-500 hover:text-slate-800">
          Event payload · <Mono>{d.event_id}</Mono>
        </summary>
        <div className="mt-2">
          <JsonView value={d.payload} testId="delivery-payload" maxHeight="16rem" />
        </div>
      </details>
    </li>
  );
}
