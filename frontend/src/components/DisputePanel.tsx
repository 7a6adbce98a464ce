// A payment's dispute: its status and evidence deadline, and while NEEDS_RESPONSE the two
// answers a merchant has: submit evidence, or accept the loss.

import { FileText, Flag } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import type { Dispute } from "../api/types";
import { useNow } from "../hooks/useNow";
import { formatDateTime, formatRelative } from "../lib/format";
import { checkEvidence, disputeDeadline } from "../lib/moneyMovements";
import { ErrorBox } from "./ErrorBox";
import { Money } from "./Money";
import { StatusBadge } from "./StatusBadge";
import { Button, Card, Field, Mono, cx, inputClass } from "./ui";

const DEADLINE_TONE = {
  open: "text-slate-900",
  soon: "text-orange-700",
  overdue: "text-rose-700",
  closed: "text-slate-500",
} as const;

export function DisputePanel({
  dispute: d,
  onChanged,
  className,
}: {
  dispute: Dispute;
  onChanged: () => void;
  className?: string;
}) {
  const now = useNow(1000);
  const [text, setText] = useState("");
  const [textError, setTextError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"" | "evidence" | "close">("");
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<{ title: string; error: ApiError } | null>(null);

  const deadline = disputeDeadline(d, now);
  const open = d.status === "NEEDS_RESPONSE";

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = checkEvidence(text);
    if (problem) {
      setTextError(problem);
      return;
    }
    setBusy("evidence");
    setError(null);
    try {
      await api.submitDisputeEvidence(d.id, { text });
      setText("");
      onChanged();
    } catch (err) {
      setError({ title: "Evidence refused", error: toApiError(err) });
    } finally {
      setBusy("");
    }
  };

  const accept = async () => {
    setBusy("close");
    setError(null);
    try {
      await api.closeDispute(d.id);
      setConfirming(false);
      onChanged();
    } catch (err) {
      setError({ title: "Accepting the dispute failed", error: toApiError(err) });
    } finally {
      setBusy("");
    }
  };

  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          <Flag className="size-4 text-orange-500" aria-hidden /> Dispute
        </span>
      }
      className={cx(open && "border-orange-200", className)}
      data-testid="dispute-panel"
      data-dispute-id={d.id}
      actions={<StatusBadge status={d.status} testId="dispute-status" />}
    >
      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm">
        <div className="min-w-0">
          <dt className="text-xs font-medium text-slate-500">Amount</dt>
          <dd className="mt-0.5 font-medium tabular-nums">
            <Money amount={d.amount} currency={d.currency} />
          </dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs font-medium text-slate-500">Reason</dt>
          <dd className="mt-0.5">{d.reason}</dd>
        </div>
        <div className="col-span-2 min-w-0">
          <dt className="text-xs font-medium text-slate-500">Evidence due by</dt>
          <dd
            data-testid="dispute-deadline"
            data-state={deadline}
            className={cx("mt-0.5", DEADLINE_TONE[deadline])}
          >
            {formatDateTime(d.evidence_due_by)}{" "}
            <span data-testid="dispute-deadline-relative" className="font-medium">
              ({deadline === "overdue" ? "overdue, " : ""}
              {formatRelative(d.evidence_due_by, now)})
            </span>
          </dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs font-medium text-slate-500">Opened</dt>
          <dd className="mt-0.5 text-slate-700" title={formatDateTime(d.created_at)}>
            {formatRelative(d.created_at, now)}
          </dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs font-medium text-slate-500">Closed</dt>
          <dd className="mt-0.5 text-slate-700">{formatDateTime(d.closed_at)}</dd>
        </div>
        <div className="col-span-2 min-w-0">
          <dt className="text-xs font-medium text-slate-500">Id</dt>
          <dd className="mt-0.5 truncate">
            <Mono>{d.id}</Mono>
          </dd>
        </div>
      </dl>

      {d.evidence !== null && (
        <div className="mt-4">
          <p className="flex items-center gap-1.5 text-xs font-medium text-slate-500">
            <FileText className="size-3.5" aria-hidden /> Evidence submitted
          </p>
          <p
            data-testid="dispute-evidence-text"
            className="mt-1 max-h-40 overflow-auto rounded-lg bg-slate-50 p-2 text-sm break-words whitespace-pre-wrap text-slate-800"
          >
            {d.evidence}
          </p>
        </div>
      )}
      {d.status === "UNDER_REVIEW" && (
        <p role="status" className="mt-3 text-sm text-sky-800">
          Under review: the decision follows in a few seconds.
        </p>
      )}
      {(d.status === "WON" || d.status === "LOST") && (
        <p
          data-testid="dispute-outcome"
          className={cx(
            "mt-3 text-sm font-medium",
            d.status === "WON" ? "text-emerald-700" : "text-rose-700",
          )}
        >
          {d.status === "WON"
            ? "Won: the disputed amount stays with you."
            : "Lost: the disputed amount went back to the cardholder."}
        </p>
      )}

      {open && (
        <form
          onSubmit={(e) => void submit(e)}
          noValidate
          data-testid="dispute-evidence-form"
          className="mt-4 space-y-3"
        >
          <Field
            label="Evidence"
            htmlFor="dispute-evidence"
            error={textError}
            hint={
              <>
                In the simulator, text containing <Mono>winning_evidence</Mono> wins; anything else
                loses.
              </>
            }
          >
            <textarea
              id="dispute-evidence"
              rows={4}
              className={inputClass}
              value={text}
              aria-invalid={Boolean(textError)}
              placeholder="Receipts, delivery confirmation, customer correspondence…"
              onChange={(e) => {
                setText(e.target.value);
                setTextError(null);
              }}
            />
          </Field>
          <div className="flex flex-wrap items-center gap-2">
            <Button
              type="submit"
              variant="primary"
              busy={busy === "evidence"}
              disabled={busy !== ""}
            >
              Submit evidence
            </Button>
            {confirming ? (
              <>
                <Button
                  variant="danger"
                  onClick={() => void accept()}
                  busy={busy === "close"}
                  disabled={busy !== ""}
                >
                  Confirm accept
                </Button>
                <Button variant="ghost" onClick={() => setConfirming(false)}>
                  Keep disputing
                </Button>
              </>
            ) : (
              <Button
                variant="secondary"
                onClick={() => setConfirming(true)}
                disabled={busy !== ""}
                title="Accept the dispute as lost, without evidence"
              >
                Accept dispute
              </Button>
            )}
          </div>
        </form>
      )}
      {error && <ErrorBox error={error.error} title={error.title} className="mt-3" />}
    </Card>
  );
}
