import { CopyButton } from "./CopyButton";

/** Pretty JSON with light syntax colouring; no HTML injection (tokens become spans). */
export function JsonView({
  value,
  testId = "raw-json",
  maxHeight = "28rem",
}: {
  value: unknown;
  testId?: string;
  maxHeight?: string;
}) {
  const text = JSON.stringify(value, null, 2) ?? "null";
  const parts: { t: string; cls?: string }[] = [];
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push({ t: text.slice(last, m.index) });
    if (m[1]) {
      parts.push({ t: m[1], cls: m[2] ? "text-indigo-300" : "text-emerald-300" });
      if (m[2]) parts.push({ t: m[2] });
    } else if (m[3]) parts.push({ t: m[3], cls: "text-rose-300" });
    else parts.push({ t: m[4], cls: "text-amber-300" });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ t: text.slice(last) });
  return (
    <div className="relative">
      <CopyButton
        text={text}
        label="Copy JSON"
        className="absolute top-2 right-2 text-slate-400 hover:bg-slate-700 hover:text-white"
      />
      <pre
        data-testid={testId}
        tabIndex={0}
        style={{ maxHeight }}
        className="overflow-auto rounded-lg bg-slate-900 p-4 font-mono text-xs leading-relaxed text-slate-200"
      >
        {parts.map((p, i) =>
          p.cls ? (
            <span key={i} className={p.cls}>
              {p.t}
            </span>
          ) : (
            p.t
          ),
        )}
      </pre>
    </div>
  );
}
