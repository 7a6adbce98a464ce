import { Plus, X } from "lucide-react";
import { ATTEMPT_CHOICES, MAX_SCRIPTED_ATTEMPTS } from "../lib/newPayment";
import { Button, inputClass } from "./ui";

/** Edit `simulate.attempts`: one select per attempt, add and remove entries. */
export function AttemptScript({
  attempts,
  onChange,
}: {
  attempts: string[];
  onChange: (attempts: string[]) => void;
}) {
  return (
    <fieldset data-testid="attempt-script">
      <legend className="text-sm font-medium text-slate-700">Scripted attempts</legend>
      <p className="mt-0.5 text-xs text-slate-500">
        What each processing attempt does, in order; the last entry repeats. A script overrides the
        scenario and the test values.
      </p>
      {attempts.length > 0 && (
        <ol className="mt-2 space-y-2">
          {attempts.map((a, i) => (
            <li key={i} data-testid="attempt-entry" className="flex items-center gap-2">
              <label
                htmlFor={`attempt-${i + 1}`}
                className="w-20 shrink-0 text-xs font-medium text-slate-600"
              >
                Attempt {i + 1}
              </label>
              <select
                id={`attempt-${i + 1}`}
                className={inputClass}
                value={a}
                onChange={(e) => onChange(attempts.map((x, j) => (j === i ? e.target.value : x)))}
              >
                {ATTEMPT_CHOICES.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
              <Button
                size="sm"
                variant="ghost"
                aria-label={`Remove attempt ${i + 1}`}
                onClick={() => onChange(attempts.filter((_, j) => j !== i))}
              >
                <X className="size-3.5" aria-hidden />
              </Button>
            </li>
          ))}
        </ol>
      )}
      <Button
        size="sm"
        className="mt-2"
        disabled={attempts.length >= MAX_SCRIPTED_ATTEMPTS}
        onClick={() => onChange([...attempts, attempts.length ? "success" : "timeout"])}
      >
        <Plus className="size-3.5" aria-hidden /> Add attempt
      </Button>
    </fieldset>
  );
}
