// Capture and cancel, on a payment's page: capture (fully or partly) while REQUIRES_CAPTURE,
// cancel while REQUIRES_CAPTURE, CREATED or RETRYING.

import { Ban, HandCoins } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import { CANCELLATION_REASONS, type CancellationReason, type Payment } from "../api/types";
import { useNow } from "../hooks/useNow";
import { formatAmount, formatDateTime, formatRelative } from "../lib/format";
import {
  CANCELLATION_REASON_LABELS,
  buildCaptureBody,
  canCancel,
  canCapture,
  minorToInput,
} from "../lib/moneyMovements";
import { ErrorBox } from "./ErrorBox";
import { Button, Card, Field, cx, inputClass } from "./ui";

export function AuthorizationPanel({
  payment: p,
  onChanged,
}: {
  payment: Payment;
  onChanged: () => void;
}) {
  const now = useNow(1000);
  // null: not edited, the field shows the whole authorization
  const [amountText, setAmountText] = useState<string | null>(null);
  const [reason, setReason] = useState<CancellationReason | "">("");
  const [busy, setBusy] = useState<"" | "capture" | "cancel">("");
  const [error, setError] = useState<{ action: string; error: ApiError } | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const capturable = canCapture(p);
  const cancelable = canCancel(p);
  const doneNote = done && !error && (
    <p
      role="status"
      data-testid="authorization-done"
      className="mt-2 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
    >
      {done}
    </p>
  );
  if (!capturable && !cancelable) return doneNote ? <div className="mb-4">{doneNote}</div> : null;

  const amount = amountText ?? minorToInput(p.amount, p.currency);
  const built = buildCaptureBody(amount, p);

  const capture = async (e: FormEvent) => {
    e.preventDefault();
    if (!built.ok) {
      setFieldError(built.error);
      return;
    }
    setBusy("capture");
    setError(null);
    try {
      const res = await api.capturePayment(p.id, built.body);
      setDone(
        `Captured ${formatAmount(res.data.amount_captured, res.data.currency)}: the payment is ${res.data.status}.`,
      );
      setAmountText(null);
      onChanged();
    } catch (err) {
      setError({ action: "Capture failed", error: toApiError(err) });
    } finally {
      setBusy("");
    }
  };

  const cancel = async () => {
    setBusy("cancel");
    setError(null);
    try {
      const res = await api.cancelPayment(p.id, reason ? { reason } : {});
      setDone(`Canceled: the payment is ${res.data.status}.`);
      onChanged();
    } catch (err) {
      setError({ action: "Cancel failed", error: toApiError(err) });
    } finally {
      setBusy("");
    }
  };

  return (
    <Card
      title={capturable ? "Authorization — funds held" : "Cancel before the gateway answers"}
      className="mb-4 border-violet-200"
      data-testid="authorization-panel"
    >
      {capturable && (
        <p className="mb-4 text-sm text-slate-600">
          {formatAmount(p.amount, p.currency)} is authorized and held. Capture all or part of it, or
          cancel to release it.
          {p.authorization_expires_at && (
            <>
              {" "}
              Uncaptured, it is canceled{" "}
              <span
                data-testid="authorization-expires"
                className="font-medium text-slate-800"
                title={formatDateTime(p.authorization_expires_at)}
              >
                {formatRelative(p.authorization_expires_at, now)}
              </span>{" "}
              ({formatDateTime(p.authorization_expires_at)}).
            </>
          )}
        </p>
      )}
      {!capturable && cancelable && (
        <p className="mb-4 text-sm text-slate-600">
          The gateway has not answered yet. Canceling now races its answer: one of them wins.
        </p>
      )}
      <div className="flex flex-col gap-4 md:flex-row md:items-end">
        {capturable && (
          <form
            onSubmit={(e) => void capture(e)}
            noValidate
            data-testid="capture-form"
            className="flex flex-1 flex-wrap items-end gap-2"
          >
            <Field
              label="Amount to capture"
              htmlFor="capture-amount"
              className="min-w-48 flex-1"
              error={fieldError}
              hint={
                built.ok && built.over
                  ? `More than the ${formatAmount(p.amount, p.currency)} authorized: the API will refuse it`
                  : `Up to ${formatAmount(p.amount, p.currency)} (${p.currency}); the rest is released`
              }
            >
              <input
                id="capture-amount"
                inputMode="decimal"
                autoComplete="off"
                className={cx(inputClass, "tabular-nums")}
                value={amount}
                aria-invalid={Boolean(fieldError)}
                onChange={(e) => {
                  setAmountText(e.target.value);
                  setFieldError(null);
                }}
              />
            </Field>
            <Button
              type="submit"
              variant="primary"
              busy={busy === "capture"}
              disabled={busy !== ""}
              className="mb-[1.375rem]"
            >
              <HandCoins className="size-4" aria-hidden /> Capture
            </Button>
          </form>
        )}
        {cancelable && (
          <div className="flex flex-1 flex-wrap items-end gap-2">
            <Field
              label="Cancellation reason"
              htmlFor="cancel-reason"
              className="min-w-48 flex-1"
              hint="Optional"
            >
              <select
                id="cancel-reason"
                className={inputClass}
                value={reason}
                onChange={(e) => setReason(e.target.value as CancellationReason | "")}
              >
                <option value="">None</option>
                {CANCELLATION_REASONS.map((r) => (
                  <option key={r} value={r}>
                    {CANCELLATION_REASON_LABELS[r]}
                  </option>
                ))}
              </select>
            </Field>
            <Button
              variant="danger"
              onClick={() => void cancel()}
              busy={busy === "cancel"}
              disabled={busy !== ""}
              className="mb-[1.375rem]"
            >
              <Ban className="size-4" aria-hidden /> Cancel payment
            </Button>
          </div>
        )}
      </div>
      {error && <ErrorBox error={error.error} title={error.action} className="mt-2" />}
      {doneNote}
    </Card>
  );
}
