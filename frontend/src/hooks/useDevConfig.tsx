import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { getApiKey, setApiKey } from "../api/auth";
import { api } from "../api/client";
import type { DevConfig } from "../api/types";

interface DevConfigState {
  /** null until known; `config` null means not a dev stack (404) or not reachable. */
  loaded: boolean;
  config: DevConfig | null;
}

const DevConfigContext = createContext<DevConfigState>({ loaded: false, config: null });

/**
 * Ask `GET /dev/config` once. On a dev stack with no key stored yet, store the demo key:
 * the key comes from the running server, never from the build.
 */
export function DevConfigProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<DevConfigState>({ loaded: false, config: null });
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (attempt: number) => {
      try {
        const { data } = await api.devConfig();
        if (cancelled) return;
        if (data?.demo_api_key && !getApiKey()) setApiKey(data.demo_api_key);
        setState({ loaded: true, config: data });
      } catch (err) {
        if (cancelled) return;
        const status = (err as { status?: number }).status ?? 0;
        setState({ loaded: true, config: null });
        // Unreachable API: try again later (404 means production: stop asking).
        if (status === 0 && attempt < 30) timer = setTimeout(() => void load(attempt + 1), 3000);
      }
    };
    void load(0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, []);
  return <DevConfigContext.Provider value={state}>{children}</DevConfigContext.Provider>;
}

export function useDevConfig(): DevConfigState {
  return useContext(DevConfigContext);
}
