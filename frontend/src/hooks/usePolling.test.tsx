import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connection } from "../api/connection";
import { ApiError } from "../api/errors";
import { usePolling } from "./usePolling";

const down = () =>
  new ApiError({ status: 0, code: "network_error", type: "network_error", message: "down" });

async function flush() {
  await act(async () => {
    await Promise.resolve();
    await Promise.resolve();
  });
}

describe("usePolling", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    connection.reportOk();
  });

  it("fetches at once, then every interval, one request at a time", async () => {
    let n = 0;
    const fetcher = vi.fn(() => Promise.resolve(++n));
    const { result } = renderHook(() => usePolling(fetcher, { interval: 2000 }));
    await flush();
    expect(result.current.data).toBe(1);
    expect(fetcher).toHaveBeenCalledTimes(1);
    await act(async () => void (await vi.advanceTimersByTimeAsync(2000)));
    expect(result.current.data).toBe(2);
    await act(async () => void (await vi.advanceTimersByTimeAsync(2000)));
    expect(result.current.data).toBe(3);
    expect(fetcher).toHaveBeenCalledTimes(3);
  });

  it("keeps the last data through failures, backs off, and recovers by itself", async () => {
    const outcomes: (number | ApiError)[] = [1, down(), down(), 2];
    const fetcher = vi.fn(() => {
      const next = outcomes.shift()!;
      return next instanceof ApiError ? Promise.reject(next) : Promise.resolve(next);
    });
    const { result } = renderHook(() =>
      usePolling(fetcher, { interval: 1000, maxBackoff: 10_000 }),
    );
    await flush();
    expect(result.current.data).toBe(1);

    await act(async () => void (await vi.advanceTimersByTimeAsync(1000))); // fails (1)
    expect(result.current.data).toBe(1);
    expect(result.current.error?.code).toBe("network_error");
    expect(result.current.failures).toBe(1);

    await act(async () => void (await vi.advanceTimersByTimeAsync(1999))); // backoff is 2 s now
    expect(fetcher).toHaveBeenCalledTimes(2);
    await act(async () => void (await vi.advanceTimersByTimeAsync(1))); // fails (2)
    expect(fetcher).toHaveBeenCalledTimes(3);
    expect(result.current.failures).toBe(2);

    await act(async () => void (await vi.advanceTimersByTimeAsync(3999))); // backoff 4 s
    expect(fetcher).toHaveBeenCalledTimes(3);
    await act(async () => void (await vi.advanceTimersByTimeAsync(1)));
    expect(result.current.data).toBe(2);
    expect(result.current.error).toBeNull();
    expect(result.current.failures).toBe(0);
  });

  it("refetches at once when the connection store sees the API again", async () => {
    const outcomes: (number | ApiError)[] = [down(), 7];
    const fetcher = vi.fn(() => {
      const next = outcomes.shift()!;
      return next instanceof ApiError ? Promise.reject(next) : Promise.resolve(next);
    });
    connection.reportError(down());
    const { result } = renderHook(() =>
      usePolling(fetcher, { interval: 2000, maxBackoff: 30_000 }),
    );
    await flush();
    expect(result.current.failures).toBe(1);
    await act(async () => {
      connection.reportOk();
      await Promise.resolve();
    });
    await flush();
    expect(result.current.data).toBe(7);
    expect(fetcher).toHaveBeenCalledTimes(2);
  });

  it("refetches at once on a new key and marks old data stale meanwhile", async () => {
    let resolveB: (v: string) => void = () => {};
    const fetcher = vi.fn<(signal: AbortSignal) => Promise<string>>(() => Promise.resolve("a"));
    const { result, rerender } = renderHook(
      ({ k }) => usePolling(fetcher, { key: k, interval: 2000 }),
      { initialProps: { k: "a" } },
    );
    await flush();
    expect(result.current.data).toBe("a");
    fetcher.mockImplementationOnce(() => new Promise<string>((r) => (resolveB = r)));
    rerender({ k: "b" });
    await flush();
    expect(result.current.data).toBe("a");
    expect(result.current.stale).toBe(true);
    await act(async () => {
      resolveB("b");
      await Promise.resolve();
    });
    expect(result.current.data).toBe("b");
    expect(result.current.stale).toBe(false);
  });

  it("stops polling when unmounted", async () => {
    const fetcher = vi.fn(() => Promise.resolve(1));
    const { unmount } = renderHook(() => usePolling(fetcher, { interval: 1000 }));
    await flush();
    unmount();
    await act(async () => void (await vi.advanceTimersByTimeAsync(5000)));
    expect(fetcher).toHaveBeenCalledTimes(1);
  });
});
