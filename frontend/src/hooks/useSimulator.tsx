import { createContext, useContext, type ReactNode } from "react";
import { api } from "../api/client";
import type { Simulator } from "../api/types";
import { usePolling, type PollingResult } from "./usePolling";
import { useApiKey } from "./useApiKey";

/** How often every page re-reads the settings, so the banner follows a change made elsewhere. */
export const SIMULATOR_POLL_MS = 3000;

const SimulatorContext = createContext<PollingResult<Simulator> | null>(null);

/** One poll of `GET /v1/simulator` for the whole dashboard (the banner and the Simulator page). */
export function SimulatorProvider({ children }: { children: ReactNode }) {
  const key = useApiKey();
  const state = usePolling((signal) => api.getSimulator(signal).then((r) => r.data), {
    key: "simulator",
    interval: SIMULATOR_POLL_MS,
    enabled: Boolean(key),
  });
  return <SimulatorContext.Provider value={state}>{children}</SimulatorContext.Provider>;
}

export function useSimulator(): PollingResult<Simulator> {
  const state = useContext(SimulatorContext);
  if (!state) throw new Error("useSimulator needs a SimulatorProvider");
  return state;
}
