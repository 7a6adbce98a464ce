import { FlaskConical, RotateCcw, Save } from "lucide-react";
import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import { toApiError, type ApiError } from "../api/errors";
import type { Simulator } from "../api/types";
import { ErrorBox } from "../components/ErrorBox";
import { Button, Card, Field, Mono, PageHeader, Skeleton, cx, inputClass } from "../components/ui";
import { useSimulator } from "../hooks/useSimulator";
import { formatDateTime } from "../lib/format";
import {
  DIAL_GROUPS,
  ERROR_MODES,
  fieldForParam,
  formFromSettings,
  settingsFromForm,
  settingsOf,
  type Dial,
  type SimulatorForm,
  type SimulatorFormErrors,
} from "../lib/simulator";

const SLIDER: Record<Dial["kind"], { max: number; step: number } | null> = {
  weight: { max: 100, step: 1 },
  rate: { max: 1, step: 0.01 },
  ms: null,
};

export const fieldId = (path: string) => `sim-${path.replace(/\./g, "-")}`;

function DialInput({
  dial,
  value,
  error,
  onChange,
}: {
  dial: Dial;
  value: string;
  error?: string;
  onChange: (v: string) => void;
}) {
  const id = fieldId(dial.path);
  const slider = SLIDER[dial.kind];
  const n = Number(value);
  return (
    <Field
      label={dial.label}
      htmlFor={id}
      error={error}
      hint={dial.kind === "rate" && Number.isFinite(n) ? `${Math.round(n * 1000) / 10}%` : null}
    >
      <div className="flex items-center gap-3">
        {slider && (
          <input
            type="range"
            aria-label={`${dial.label} slider`}
            min={0}
            max={slider.max}
            step={slider.step}
            value={Number.isFinite(n) ? n : 0}
            onChange={(e) => onChange(e.target.value)}
            className="min-w-0 flex-1 accent-indigo-600"
          />
        )}
        <input
          id={id}
          name={dial.path}
          inputMode="decimal"
          autoComplete="off"
          aria-invalid={Boolean(error)}
          aria-describedby={error ? `${id}-error` : undefined}
          className={cx(inputClass, "tabular-nums", slider ? "w-24 shrink-0" : "")}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      </div>
    </Field>
  );
}

function SimulatorEditor({ current, onSaved }: { current: Simulator; onSaved: () => void }) {
  const [form, setForm] = useState<SimulatorForm>(() => formFromSettings(settingsOf(current)));
  const [dirty, setDirty] = useState(false);
  const [shownVersion, setShownVersion] = useState(current.version);
  const [errors, setErrors] = useState<SimulatorFormErrors>({});
  const [apiError, setApiError] = useState<{ error: ApiError; title: string } | null>(null);
  const [busy, setBusy] = useState<"" | "save" | "reset">("");
  const [notice, setNotice] = useState<string | null>(null);

  // A change made elsewhere (another tab, the CLI) shows up here unless the form is being edited.
  if (current.version !== shownVersion && !dirty) {
    setShownVersion(current.version);
    setForm(formFromSettings(settingsOf(current)));
  }

  const edit = (patch: Partial<SimulatorForm>, field: string) => {
    setForm((f) => ({ ...f, ...patch }));
    setDirty(true);
    setNotice(null);
    setErrors((e) => {
      const rest = { ...e };
      delete rest[field];
      return rest;
    });
  };
  const setDial = (path: string, v: string) =>
    edit({ values: { ...form.values, [path]: v } }, path);

  const applied = (sim: Simulator, message: string) => {
    setForm(formFromSettings(settingsOf(sim)));
    setShownVersion(sim.version);
    setDirty(false);
    setErrors({});
    setNotice(message);
    onSaved();
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    const built = settingsFromForm(form);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setBusy("save");
    setApiError(null);
    try {
      const res = await api.putSimulator(built.body);
      applied(res.data, `Saved: version ${res.data.version} is in force.`);
    } catch (err) {
      const error = toApiError(err);
      const field = fieldForParam(error.param);
      if (field) setErrors({ [field]: error.message });
      setApiError({ error, title: "The API refused the settings" });
    } finally {
      setBusy("");
    }
  };

  const reset = async () => {
    setBusy("reset");
    setApiError(null);
    try {
      const res = await api.resetSimulator();
      applied(res.data, `Back to the defaults (version ${res.data.version}).`);
    } catch (err) {
      setApiError({ error: toApiError(err), title: "Could not reset the settings" });
    } finally {
      setBusy("");
    }
  };

  return (
    <form
      onSubmit={(e) => void save(e)}
      noValidate
      data-testid="simulator-form"
      className="space-y-4"
    >
      <Card>
        <div className="flex flex-wrap items-center gap-x-6 gap-y-2 text-sm">
          <span>
            Version <strong data-testid="simulator-version">{current.version}</strong>
          </span>
          <span className="text-slate-500">
            updated {current.updated_at ? formatDateTime(current.updated_at) : "never"}
          </span>
          <span className="text-slate-500" data-testid="simulator-expires">
            {current.expires_at
              ? `falls back to the defaults at ${formatDateTime(current.expires_at)}`
              : "no expiry"}
          </span>
          <span
            data-testid="simulator-state"
            className={cx(
              "rounded-full px-2 py-0.5 text-xs font-semibold",
              current.is_default
                ? "bg-emerald-50 text-emerald-700"
                : "bg-violet-100 text-violet-800",
            )}
          >
            {current.is_default ? "defaults" : "custom settings"}
          </span>
          {dirty && <span className="text-xs text-amber-700">unsaved changes</span>}
        </div>
      </Card>

      <div className="grid gap-4 lg:grid-cols-3">
        {DIAL_GROUPS.map((g) => (
          <Card key={g.title} title={g.title}>
            <p className="mb-4 text-xs text-slate-500">{g.help}</p>
            <div className="space-y-4">
              {g.dials.map((d) => (
                <DialInput
                  key={d.path}
                  dial={d}
                  value={form.values[d.path] ?? ""}
                  error={errors[d.path]}
                  onChange={(v) => setDial(d.path, v)}
                />
              ))}
              {g.title === "API faults" && (
                <Field
                  label="API error mode"
                  htmlFor="sim-api-error_mode"
                  error={errors["api.error_mode"]}
                  hint={ERROR_MODES.find((m) => m.value === form.errorMode)?.help}
                >
                  <select
                    id="sim-api-error_mode"
                    className={inputClass}
                    value={form.errorMode}
                    onChange={(e) =>
                      edit(
                        { errorMode: e.target.value as SimulatorForm["errorMode"] },
                        "api.error_mode",
                      )
                    }
                  >
                    {ERROR_MODES.map((m) => (
                      <option key={m.value} value={m.value}>
                        {m.label}
                      </option>
                    ))}
                  </select>
                </Field>
              )}
            </div>
          </Card>
        ))}
      </div>

      <Card title="Run">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field
            label="Seed"
            htmlFor="sim-seed"
            error={errors.seed}
            hint="With a seed every random choice replays exactly for the same idempotency keys; empty = random."
          >
            <input
              id="sim-seed"
              inputMode="numeric"
              autoComplete="off"
              className={cx(inputClass, "tabular-nums")}
              value={form.seed}
              onChange={(e) => edit({ seed: e.target.value }, "seed")}
            />
          </Field>
          <Field
            label="For the next (minutes)"
            htmlFor="sim-expires"
            error={errors.expires_at}
            hint="The settings fall back to the defaults after this long; empty = until reset."
          >
            <div className="flex gap-2">
              <input
                id="sim-expires"
                inputMode="decimal"
                autoComplete="off"
                className={cx(inputClass, "tabular-nums")}
                value={form.expiresInMinutes}
                onChange={(e) => edit({ expiresInMinutes: e.target.value }, "expires_at")}
              />
              {[5, 10, 30].map((m) => (
                <Button
                  key={m}
                  size="sm"
                  onClick={() => edit({ expiresInMinutes: String(m) }, "expires_at")}
                >
                  {m} min
                </Button>
              ))}
            </div>
          </Field>
        </div>
      </Card>

      {apiError && <ErrorBox error={apiError.error} title={apiError.title} />}
      {notice && (
        <p
          role="status"
          data-testid="simulator-notice"
          className="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
        >
          {notice}
        </p>
      )}

      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" variant="primary" busy={busy === "save"}>
          <Save className="size-4" aria-hidden /> Save settings
        </Button>
        <Button variant="secondary" busy={busy === "reset"} onClick={() => void reset()}>
          <RotateCcw className="size-4" aria-hidden /> Reset to defaults
        </Button>
        {dirty && (
          <Button
            variant="ghost"
            onClick={() => {
              setForm(formFromSettings(settingsOf(current)));
              setShownVersion(current.version);
              setDirty(false);
              setErrors({});
            }}
          >
            Discard changes
          </Button>
        )}
      </div>
    </form>
  );
}

export function SimulatorPage() {
  const sim = useSimulator();
  return (
    <div>
      <PageHeader
        title="Simulator"
        subtitle={
          <>
            Rehearse failures: outcome mix, API faults and webhook chaos for every request (
            <Mono>/v1/simulator</Mono>), in force everywhere within 2 s
          </>
        }
        actions={<FlaskConical className="size-5 text-violet-500" aria-hidden />}
      />
      {sim.error && (
        <ErrorBox
          error={sim.error}
          title="Could not load the simulator settings"
          compact={Boolean(sim.data)}
          className="mb-4"
        />
      )}
      {sim.data ? (
        <SimulatorEditor current={sim.data} onSaved={sim.refresh} />
      ) : (
        !sim.error && (
          <div className="space-y-3">
            <Skeleton className="h-16" />
            <Skeleton className="h-72" />
          </div>
        )
      )}
    </div>
  );
}
