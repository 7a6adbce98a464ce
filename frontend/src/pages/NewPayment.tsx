import { CreditCard, RefreshCw, Repeat, Smartphone, Wallet } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import { CURRENCIES, SCENARIOS, type CaptureMethod, type Payment } from "../api/types";
import { AttemptScript } from "../components/AttemptScript";
import { ErrorBox } from "../components/ErrorBox";
import { StatusBadge } from "../components/StatusBadge";
import { Button, Card, Field, Mono, PageHeader, cx, inputClass } from "../components/ui";
import { formatAmount, formatTime, minorUnitExponent, parseAmountToMinor } from "../lib/format";
import {
  MAGIC_CARDS,
  MAGIC_VPAS,
  SCENARIO_HELP,
  WALLETS,
  buildCreateBody,
  defaultForm,
  newIdempotencyKey,
  type FormErrors,
  type MethodType,
  type NewPaymentForm,
} from "../lib/newPayment";
import { Link } from "../lib/router";

interface LogEntry {
  n: number;
  at: string;
  key: string;
  status: number;
  replayed: boolean;
  payment?: Payment;
  error?: ApiError;
}

const METHODS: { type: MethodType; label: string; icon: typeof CreditCard }[] = [
  { type: "card", label: "Card", icon: CreditCard },
  { type: "upi", label: "UPI", icon: Smartphone },
  { type: "wallet", label: "Wallet", icon: Wallet },
];

const CAPTURE_METHODS: { value: CaptureMethod; label: string }[] = [
  { value: "automatic", label: "Automatic" },
  { value: "manual", label: "Manual" },
];

const TONE: Record<string, string> = {
  good: "bg-emerald-500",
  bad: "bg-rose-500",
  warn: "bg-amber-500",
};

function ResultCard({ entry }: { entry: LogEntry }) {
  if (entry.error) return <ErrorBox error={entry.error} title="The API refused the payment" />;
  const p = entry.payment!;
  return (
    <div
      data-testid="create-result"
      data-replayed={entry.replayed}
      className={cx(
        "rounded-xl border p-4",
        entry.replayed
          ? "border-violet-200 bg-violet-50/60"
          : "border-emerald-200 bg-emerald-50/60",
      )}
    >
      <div className="flex flex-wrap items-center gap-2">
        <span className="rounded bg-white px-1.5 py-0.5 font-mono text-xs font-semibold text-slate-700 ring-1 ring-slate-200">
          HTTP {entry.status}
        </span>
        {entry.replayed ? (
          <span
            data-testid="replayed-badge"
            className="inline-flex items-center gap-1 rounded-full bg-violet-600 px-2 py-0.5 text-xs font-semibold text-white"
          >
            <Repeat className="size-3" aria-hidden /> replayed
          </span>
        ) : (
          <span className="text-sm font-medium text-emerald-800">Payment created</span>
        )}
        <StatusBadge status={p.status} testId="created-status" />
      </div>
      <p className="mt-2 text-sm text-slate-700">
        <Link
          to={`/payments/${p.id}`}
          data-testid="created-payment-link"
          className="font-mono font-medium text-indigo-700 hover:underline"
        >
          {p.id}
        </Link>{" "}
        · {formatAmount(p.amount, p.currency)} · <Mono>{p.user_id}</Mono>
      </p>
      <p className="mt-2 text-xs text-slate-600">
        {entry.replayed
          ? "Same key and same body: the API answered from its idempotency store (Idempotent-Replayed: true); no second payment was made."
          : "Send again with the same key to see the replay, or change a field and keep the key to see the 422."}
      </p>
    </div>
  );
}

export function NewPaymentPage() {
  const [form, setForm] = useState<NewPaymentForm>(defaultForm);
  const [errors, setErrors] = useState<FormErrors>({});
  const [busy, setBusy] = useState(false);
  const [log, setLog] = useState<LogEntry[]>([]);

  const set = <K extends keyof NewPaymentForm>(k: K, v: NewPaymentForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setErrors((e) => ({ ...e, [k]: undefined }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const built = buildCreateBody(form);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setBusy(true);
    const n = (log[0]?.n ?? 0) + 1;
    const at = new Date().toISOString();
    try {
      const res = await api.createPayment(built.body, built.key);
      setLog((l) =>
        [
          { n, at, key: built.key, status: res.status, replayed: res.replayed, payment: res.data },
          ...l,
        ].slice(0, 20),
      );
    } catch (err) {
      const error = toApiError(err);
      setLog((l) =>
        [{ n, at, key: built.key, status: error.status, replayed: false, error }, ...l].slice(
          0,
          20,
        ),
      );
    } finally {
      setBusy(false);
    }
  };

  const minor = parseAmountToMinor(form.amount, form.currency);
  const exp = minorUnitExponent(form.currency);

  return (
    <div>
      <PageHeader
        title="New payment"
        subtitle="Create a test payment and follow it through the lifecycle"
      />
      <div className="grid gap-4 lg:grid-cols-3">
        <div className="min-w-0 space-y-4 lg:col-span-2">
          <Card>
            <form
              onSubmit={(e) => void submit(e)}
              noValidate
              data-testid="new-payment-form"
              className="space-y-5"
            >
              <div className="grid gap-4 sm:grid-cols-3">
                <Field
                  label="Amount"
                  htmlFor="amount"
                  className="sm:col-span-2"
                  error={errors.amount}
                  hint={
                    minor.ok
                      ? `${formatAmount(minor.minor, form.currency)} — sent as ${minor.minor} minor units`
                      : `up to ${exp} decimal places`
                  }
                >
                  <input
                    id="amount"
                    name="amount"
                    inputMode="decimal"
                    autoComplete="off"
                    className={cx(inputClass, "tabular-nums")}
                    value={form.amount}
                    aria-invalid={Boolean(errors.amount)}
                    onChange={(e) => set("amount", e.target.value)}
                  />
                </Field>
                <Field label="Currency" htmlFor="currency">
                  <select
                    id="currency"
                    name="currency"
                    className={inputClass}
                    value={form.currency}
                    onChange={(e) => set("currency", e.target.value)}
                  >
                    {CURRENCIES.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>

              <fieldset>
                <legend className="text-sm font-medium text-slate-700">Payment method</legend>
                <div className="mt-1.5 grid grid-cols-3 gap-2">
                  {METHODS.map((m) => (
                    <label
                      key={m.type}
                      className={cx(
                        "flex cursor-pointer items-center justify-center gap-2 rounded-lg px-3 py-2 text-sm font-medium ring-1 transition-colors ring-inset has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600",
                        form.method === m.type
                          ? "bg-indigo-50 text-indigo-700 ring-indigo-600"
                          : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50",
                      )}
                    >
                      <input
                        type="radio"
                        name="method"
                        value={m.type}
                        className="sr-only"
                        checked={form.method === m.type}
                        onChange={() => set("method", m.type)}
                      />
                      <m.icon className="size-4" aria-hidden />
                      {m.label}
                    </label>
                  ))}
                </div>
              </fieldset>

              <div className="grid gap-4 sm:grid-cols-2">
                {form.method === "card" && (
                  <Field
                    label="Card number"
                    htmlFor="card-number"
                    error={errors.cardNumber}
                    hint="Test cards are listed on the right"
                  >
                    <input
                      id="card-number"
                      name="card_number"
                      inputMode="numeric"
                      autoComplete="off"
                      className={cx(inputClass, "font-mono")}
                      value={form.cardNumber}
                      onChange={(e) => set("cardNumber", e.target.value)}
                    />
                  </Field>
                )}
                {form.method === "upi" && (
                  <Field
                    label="UPI VPA"
                    htmlFor="vpa"
                    error={errors.vpa}
                    hint="e.g. success@paygate"
                  >
                    <input
                      id="vpa"
                      name="vpa"
                      autoComplete="off"
                      className={cx(inputClass, "font-mono")}
                      value={form.vpa}
                      onChange={(e) => set("vpa", e.target.value)}
                    />
                  </Field>
                )}
                {form.method === "wallet" && (
                  <Field label="Wallet" htmlFor="wallet" error={errors.wallet}>
                    <select
                      id="wallet"
                      name="wallet"
                      className={inputClass}
                      value={form.wallet}
                      onChange={(e) => set("wallet", e.target.value)}
                    >
                      {WALLETS.map((w) => (
                        <option key={w} value={w}>
                          {w}
                        </option>
                      ))}
                    </select>
                  </Field>
                )}
                <Field label="User ID" htmlFor="user-id" error={errors.userId}>
                  <input
                    id="user-id"
                    name="user_id"
                    autoComplete="off"
                    className={cx(inputClass, "font-mono")}
                    value={form.userId}
                    onChange={(e) => set("userId", e.target.value)}
                  />
                </Field>
              </div>

              <fieldset>
                <legend className="text-sm font-medium text-slate-700">Capture</legend>
                <div className="mt-1.5 grid grid-cols-2 gap-2 sm:w-2/3">
                  {CAPTURE_METHODS.map((m) => (
                    <label
                      key={m.value}
                      className={cx(
                        "flex cursor-pointer items-center justify-center gap-2 rounded-lg px-3 py-2 text-sm font-medium ring-1 transition-colors ring-inset has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600",
                        form.captureMethod === m.value
                          ? "bg-indigo-50 text-indigo-700 ring-indigo-600"
                          : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50",
                      )}
                    >
                      <input
                        type="radio"
                        name="capture_method"
                        value={m.value}
                        className="sr-only"
                        checked={form.captureMethod === m.value}
                        onChange={() => set("captureMethod", m.value)}
                      />
                      {m.label}
                    </label>
                  ))}
                </div>
                <p className="mt-1.5 text-xs text-slate-500">
                  {form.captureMethod === "manual"
                    ? "The payment stops at REQUIRES_CAPTURE with the funds held: capture or cancel it from its page."
                    : "A successful payment is captured at once (SUCCESS)."}
                </p>
              </fieldset>

              <div className="grid gap-4 sm:grid-cols-2">
                <Field
                  label="Scenario"
                  htmlFor="scenario"
                  hint={
                    form.scenario
                      ? SCENARIO_HELP[form.scenario]
                      : "None: the test values (or the random mix) decide"
                  }
                >
                  <select
                    id="scenario"
                    name="scenario"
                    className={inputClass}
                    value={form.scenario}
                    onChange={(e) => set("scenario", e.target.value as NewPaymentForm["scenario"])}
                  >
                    <option value="">None (use test values)</option>
                    {SCENARIOS.map((s) => (
                      <option key={s} value={s}>
                        {s.replace("_", " ")}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label="Description" htmlFor="description" hint="Optional">
                  <input
                    id="description"
                    name="description"
                    autoComplete="off"
                    className={inputClass}
                    value={form.description}
                    onChange={(e) => set("description", e.target.value)}
                  />
                </Field>
              </div>

              <div className="grid gap-4 sm:grid-cols-2">
                <AttemptScript attempts={form.attempts} onChange={(a) => set("attempts", a)} />
                <Field
                  label="Gateway latency (ms)"
                  htmlFor="gateway-latency"
                  error={errors.gatewayLatencyMs}
                  hint="Optional: how long each simulated gateway call takes"
                >
                  <input
                    id="gateway-latency"
                    name="gateway_latency_ms"
                    inputMode="numeric"
                    autoComplete="off"
                    className={cx(inputClass, "tabular-nums")}
                    value={form.gatewayLatencyMs}
                    onChange={(e) => set("gatewayLatencyMs", e.target.value)}
                  />
                </Field>
              </div>

              <Field
                label="Idempotency key"
                htmlFor="idempotency-key"
                error={errors.idempotencyKey}
                hint="Sent as the Idempotency-Key header. Reuse it to see a replay; change the body with the same key to see a 422."
              >
                <div className="flex gap-2">
                  <input
                    id="idempotency-key"
                    name="idempotency_key"
                    autoComplete="off"
                    spellCheck={false}
                    className={cx(inputClass, "font-mono")}
                    value={form.idempotencyKey}
                    onChange={(e) => set("idempotencyKey", e.target.value)}
                  />
                  <Button
                    onClick={() => set("idempotencyKey", newIdempotencyKey())}
                    aria-label="Generate a new idempotency key"
                    title="Generate a new key"
                  >
                    <RefreshCw className="size-4" aria-hidden />
                    <span className="hidden sm:inline">New key</span>
                  </Button>
                </div>
              </Field>

              <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4">
                <Button type="submit" variant="primary" busy={busy}>
                  Create payment
                </Button>
                <Button
                  variant="ghost"
                  onClick={() => {
                    setForm(defaultForm());
                    setErrors({});
                  }}
                >
                  Reset form
                </Button>
              </div>
            </form>
          </Card>

          {log[0] && (
            <section aria-live="polite" aria-label="Last response">
              <ResultCard key={log[0].n} entry={log[0]} />
            </section>
          )}

          {log.length > 0 && (
            <Card title="Requests this session" bodyClassName="p-0">
              <ul className="divide-y divide-slate-100 text-sm">
                {log.map((e) => (
                  <li
                    key={e.n}
                    data-testid="request-log-entry"
                    className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2"
                  >
                    <span className="text-xs text-slate-400 tabular-nums">{formatTime(e.at)}</span>
                    <span
                      className={cx(
                        "rounded px-1.5 py-0.5 font-mono text-xs font-semibold",
                        e.error ? "bg-rose-50 text-rose-700" : "bg-emerald-50 text-emerald-700",
                      )}
                    >
                      {e.status || "—"}
                    </span>
                    {e.replayed && (
                      <span className="rounded-full bg-violet-100 px-2 py-0.5 text-xs font-medium text-violet-700">
                        replayed
                      </span>
                    )}
                    {e.payment && (
                      <Link
                        to={`/payments/${e.payment.id}`}
                        className="font-mono text-xs text-indigo-700 hover:underline"
                      >
                        {e.payment.id}
                      </Link>
                    )}
                    {e.error && (
                      <code className="font-mono text-xs text-rose-700">{e.error.code}</code>
                    )}
                    <span
                      className="ml-auto max-w-[14rem] truncate font-mono text-xs text-slate-400"
                      title={e.key}
                    >
                      key {e.key}
                    </span>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>

        <aside className="min-w-0 space-y-4" aria-label="Test values">
          <Card title="Test cards">
            <ul className="space-y-1">
              {MAGIC_CARDS.map((c) => (
                <li key={c.number}>
                  <button
                    type="button"
                    onClick={() => setForm((f) => ({ ...f, method: "card", cardNumber: c.number }))}
                    className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    <span className={cx("size-1.5 shrink-0 rounded-full", TONE[c.tone])} />
                    <Mono className="text-slate-800">{c.number}</Mono>
                    <span className="ml-auto text-right text-xs text-slate-500">{c.outcome}</span>
                  </button>
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Test UPI addresses">
            <ul className="space-y-1">
              {MAGIC_VPAS.map((v) => (
                <li key={v.vpa}>
                  <button
                    type="button"
                    onClick={() => setForm((f) => ({ ...f, method: "upi", vpa: v.vpa }))}
                    className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    <span className={cx("size-1.5 shrink-0 rounded-full", TONE[v.tone])} />
                    <Mono className="text-slate-800">{v.vpa}</Mono>
                    <span className="ml-auto text-right text-xs text-slate-500">{v.outcome}</span>
                  </button>
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Scenarios">
            <dl className="space-y-2 text-sm">
              {SCENARIOS.map((s) => (
                <div key={s} className="flex gap-2">
                  <dt className="w-24 shrink-0 font-mono text-xs text-slate-800">{s}</dt>
                  <dd className="text-xs text-slate-500">{SCENARIO_HELP[s]}</dd>
                </div>
              ))}
            </dl>
            <p className="mt-3 text-xs text-slate-400">A scenario overrides the test values.</p>
          </Card>
        </aside>
      </div>
    </div>
  );
}
