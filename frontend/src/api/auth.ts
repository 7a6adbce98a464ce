// The API key lives in local storage only: entered once (or filled from /dev/config in dev
// mode), never part of a build.

const STORAGE_KEY = "paygate.apiKey";
type Listener = () => void;
const listeners = new Set<Listener>();

function storage(): Storage | null {
  try {
    return typeof window !== "undefined" ? window.localStorage : null;
  } catch {
    return null;
  }
}

export function getApiKey(): string | null {
  const value = storage()?.getItem(STORAGE_KEY);
  return value ? value : null;
}

export function setApiKey(key: string | null): void {
  const s = storage();
  if (s) {
    if (key && key.trim()) s.setItem(STORAGE_KEY, key.trim());
    else s.removeItem(STORAGE_KEY);
  }
  for (const l of listeners) l();
}

export function subscribeApiKey(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** `sk_test_demo` → `sk_test_••••demo`. */
export function maskKey(key: string): string {
  if (key.length <= 8) return "••••";
  const prefix = key.match(/^(sk_(?:test|live)_)/)?.[1] ?? key.slice(0, 3);
  return `${prefix}••••${key.slice(-4)}`;
}
