// Small pure helpers of the Webhooks page: the "Recover since…" time input, and the
// enabled-events editor.

/** A `<input type="datetime-local">` value (local time, minutes) for a moment. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}`
  );
}

/** The ISO-8601 UTC time a datetime-local value means, or null when it is not a time. */
export function localInputToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim())) return null;
  const ms = new Date(value.trim()).getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Toggle one event type in a subscription list, keeping the canonical order of `all`. */
export function toggleEvent(
  all: readonly string[],
  current: readonly string[],
  type: string,
  on: boolean,
): string[] {
  const set = new Set(current);
  if (on) set.add(type);
  else set.delete(type);
  return [...all.filter((t) => set.has(t)), ...[...set].filter((t) => !all.includes(t))];
}

/** Same members, whatever the order. */
export function sameEvents(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
