import { KeyRound } from "lucide-react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { maskKey, setApiKey } from "../api/auth";
import { useApiKey } from "../hooks/useApiKey";
import { useDevConfig } from "../hooks/useDevConfig";
import { Button, cx, inputClass } from "./ui";

export function ApiKeyForm({ onDone, autoFocus }: { onDone?: () => void; autoFocus?: boolean }) {
  const key = useApiKey();
  const { config } = useDevConfig();
  const [value, setValue] = useState(key ?? "");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApiKey(value);
    onDone?.();
  };
  return (
    <form onSubmit={submit} className="space-y-3">
      <div className="space-y-1.5">
        <label htmlFor={id} className="block text-sm font-medium text-slate-700">
          API key
        </label>
        <input
          id={id}
          name="api_key"
          autoFocus={autoFocus}
          autoComplete="off"
          spellCheck={false}
          placeholder="sk_test_…"
          className={cx(inputClass, "font-mono")}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <p className="text-xs text-slate-500">Kept in this browser's local storage only.</p>
      </div>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" disabled={!value.trim()}>
          Save key
        </Button>
        {config?.demo_api_key && (
          <Button onClick={() => setValue(config.demo_api_key)}>Use demo key</Button>
        )}
        {key && (
          <Button
            variant="ghost"
            onClick={() => {
              setApiKey(null);
              setValue("");
              onDone?.();
            }}
          >
            Forget key
          </Button>
        )}
      </div>
    </form>
  );
}

/** The key button in the header, with a small popover to change it. */
export function ApiKeyControl({ dark = false }: { dark?: boolean }) {
  const key = useApiKey();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    const onClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);
  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-label="API key"
        data-testid="api-key-button"
        onClick={() => setOpen((o) => !o)}
        className={cx(
          "flex w-full items-center gap-2 rounded-lg px-2.5 py-1.5 text-left text-xs transition-colors focus-visible:outline-2 focus-visible:outline-indigo-400",
          dark
            ? "text-slate-300 hover:bg-white/5"
            : "text-slate-600 ring-1 ring-slate-200 hover:bg-slate-50",
        )}
      >
        <KeyRound className="size-3.5 shrink-0" aria-hidden />
        <span className="truncate font-mono">{key ? maskKey(key) : "Set API key"}</span>
      </button>
      {open && (
        <div
          className={cx(
            "absolute z-30 w-72 rounded-xl border border-slate-200 bg-white p-4 text-slate-900 shadow-lg",
            dark ? "bottom-full left-0 mb-2" : "top-full right-0 mt-2",
          )}
        >
          <ApiKeyForm onDone={() => setOpen(false)} autoFocus />
        </div>
      )}
    </div>
  );
}
