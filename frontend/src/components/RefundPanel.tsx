// A payment's refunds: what is captured, refunded and pending, the Refund form (SUCCESS
// payments with something left), and every refund with its status.

import { Undo2 } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import { REFUND_REASONS, type PaymentDetail, type RefundReason } from "../api/types";
import { formatAmount } from "../lib/format";
import {
  REFUND_REASON_LABELS,
  buildRefundBody,
  canRefund,
  defaultRefundForm,
  idempotencyKeyFor,
  newestFirst,
  pendingRefunds,
  refundableAmount,
  type PendingRequest,
} from "../lib/moneyMovements";
import { newIdempotencyKey } from "../lib/newPayment";
import { ErrorBox } from "./ErrorBox";
import { Money } from "./Money";
import { RefundsTable } from "./RefundsTable";
import { Button, Card, EmptyState, Field, Mono, cx, inputClass } from "./ui";

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd data-testid={testId} className="mt-0.5 text-sm font-medium text-slate-900 tabular-nums">
        {value}
      </dd>
    </div>
  );
}

export function RefundPanel({
  payment: p,
  onChanged,
  className,
}: {
  payment: PaymentDetail;
  onChanged: () => void;
  className?: string;
}) {
  // null: not edited, the field offers everything left to refund
  const [amountText, setAmountText] = useState<string | null>(null);
  const [reason, setReason] = useState<RefundReason | "">("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; replayed: boolean } | null>(null);
  // the last request that got no answer: sent again with the same Idempotency-Key
  const [unanswered, setUnanswered] = useState<PendingRequest | null>(null);

  const refunds = newestFirst(p.refunds);
  const left = refundableAmount(p, p.refunds);
  const pending = pendingRefunds(p.refunds);
  const refundable = canRefund(p, p.refunds);
  const form = { amount: amountText ?? defaultRefundForm(p, p.refunds).amount, reason };
  const built = buildRefundBody(form, p, p.refunds);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!built.ok) {
      setFieldError(built.error);
      return;
    }
    const request = idempotencyKeyFor(built.body, unanswered, newIdempotencyKey);
    setUnanswered(request);
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const res = await api.createRefund(built.body, request.key);
      setUnanswered(null);
      setCreated({ id: res.data.id, replayed: res.replayed });
      setAmountText(null);
      setReason("");
      onChanged();
    } catch (err) {
      const apiError = toApiError(err);
      if (!apiError.isNetworkError) setUnanswered(null);
      setError(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title="Refunds"
      className={className}
      data-testid="refunds-panel"
      actions={<span className="text-xs text-slate-400">{p.refunds.length}</span>}
    >
      <dl className="mb-4 grid grid-cols-2 gap-x-6 gap-y-3 sm:grid-cols-4">
        <Figure
          label="Captured"
          value={formatAmount(p.amount_captured, p.currency)}
          testId="amount-captured"
        />
        <Figure
          label="Refunded"
          value={formatAmount(p.amount_refunded, p.currency)}
          testId="amount-refunded"
        />
        <Figure label="Pending" value={formatAmount(pending, p.currency)} testId="amount-pending" />
        <Figure
          label="Left to refund"
          value={formatAmount(left, p.currency)}
          testId="amount-refundable"
        />
      </dl>

      {refundable && (
        <form
          onSubmit={(e) => void submit(e)}
          noValidate
          data-testid="refund-form"
          className="mb-4 flex flex-wrap items-end gap-2 rounded-lg bg-slate-50 p-3"
        >
          <Field
            label="Refund amount"
            htmlFor="refund-amount"
            className="min-w-40 flex-1"
            error={fieldError}
            hint={
              built.ok && built.over
                ? `More than the ${formatAmount(left, p.currency)} left: the API will refuse it`
                : `Up to ${formatAmount(left, p.currency)} (${p.currency})`
            }
          >
            <input
              id="refund-amount"
              inputMode="decimal"
              autoComplete="off"
              className={cx(inputClass, "tabular-nums")}
              value={form.amount}
              aria-invalid={Boolean(fieldError)}
              onChange={(e) => {
                setAmountText(e.target.value);
                setFieldError(null);
              }}
            />
          </Field>
          <Field
            label="Refund reason"
            htmlFor="refund-reason"
            className="min-w-40 flex-1"
            hint="Optional"
          >
            <select
              id="refund-reason"
              className={inputClass}
              value={reason}
              onChange={(e) => setReason(e.target.value as RefundReason | "")}
            >
              <option value="">None</option>
              {REFUND_REASONS.map((r) => (
                <option key={r} value={r}>
                  {REFUND_REASON_LABELS[r]}
                </option>
              ))}
            </select>
          </Field>
          <Button type="submit" variant="primary" busy={busy} className="mb-[1.375rem]">
            <Undo2 className="size-4" aria-hidden /> Refund
          </Button>
        </form>
      )}
      {!refundable && p.status === "SUCCESS" && (
        <p data-testid="refund-none-left" className="mb-4 text-sm text-slate-500">
          Nothing left to refund: everything captured is refunded
          {pending > 0 ? " or being refunded" : ""}.
        </p>
      )}

      {error && <ErrorBox error={error} title="Refund refused" className="mb-4" />}
      {created && !error && (
        <p
          role="status"
          data-testid="refund-created"
          className="mb-4 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
        >
          Refund <Mono>{created.id}</Mono> {created.replayed ? "replayed" : "created"}: it is
          processed in the background and its status below follows by itself.
        </p>
      )}

      {refunds.length ? (
        <RefundsTable refunds={refunds} />
      ) : (
        <EmptyState title="No refunds yet">
          {refundable ? (
            <>
              Refund part or all of the <Money amount={p.amount_captured} currency={p.currency} />{" "}
              captured.
            </>
          ) : (
            "Only a SUCCESS payment can be refunded."
          )}
        </EmptyState>
      )}
    </Card>
  );
}
