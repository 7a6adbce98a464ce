import { describe, expect, it, vi } from "vitest";
import { getApiKey, maskKey, setApiKey } from "./auth";
import { ApiClient, buildUrl, normalizeBaseUrl } from "./client";
import { ConnectionStore } from "./connection";
import { ApiError, errorFromResponse } from "./errors";

type Call = { url: string; init: RequestInit };

function stub(...responses: (Response | Error)[]) {
  const calls: Call[] = [];
  const fetch = vi.fn((url: RequestInfo | URL, init?: RequestInit) => {
    const href = typeof url === "string" ? url : url instanceof URL ? url.href : url.url;
    calls.push({ url: href, init: init ?? {} });
    const next = responses.shift();
    if (!next) return Promise.reject(new Error("no more stubbed responses"));
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(next);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

const PAYMENT = {
  id: "pay_01",
  object: "payment",
  amount: 1234,
  currency: "USD",
  status: "CREATED",
};

function client(
  fetch: typeof globalThis.fetch,
  opts: Partial<ConstructorParameters<typeof ApiClient>[0]> = {},
) {
  return new ApiClient({
    baseUrl: "http://api.test",
    getApiKey: () => "sk_test_demo",
    fetch,
    connection: null,
    ...opts,
  });
}

describe("base URL", () => {
  it("strips trailing slashes and defaults to same origin", () => {
    expect(normalizeBaseUrl("https://paygate.vercel.app/")).toBe("https://paygate.vercel.app");
    expect(normalizeBaseUrl(undefined)).toBe("");
    expect(
      buildUrl("", "/v1/payments", {
        status: "FAILED",
        user_id: "",
        limit: 10,
        starting_after: undefined,
      }),
    ).toBe("/v1/payments?status=FAILED&limit=10");
  });
});

describe("auth header", () => {
  it("sends the key as a bearer token on /v1 routes", async () => {
    const { fetch, calls } = stub(json(200, { object: "list", data: [], has_more: false }));
    await client(fetch).listPayments({ limit: 5 });
    expect(calls[0].url).toBe("http://api.test/v1/payments?limit=5");
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe(
      "Bearer sk_test_demo",
    );
  });

  it("does not send the key to /healthz or /dev/config", async () => {
    const { fetch, calls } = stub(
      json(200, { status: "ok", dependencies: {} }),
      json(200, { demo_api_key: "k" }),
    );
    const c = client(fetch);
    await c.health();
    await c.devConfig();
    for (const call of calls)
      expect((call.init.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it("refuses to call /v1 without a key, with an explained error", async () => {
    const { fetch, calls } = stub();
    const err = (await client(fetch, { getApiKey: () => null })
      .metrics()
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("missing_api_key");
    expect(calls).toHaveLength(0);
  });

  it("reads the key from local storage by default", async () => {
    setApiKey("sk_test_stored");
    expect(getApiKey()).toBe("sk_test_stored");
    const { fetch, calls } = stub(json(200, {}));
    await new ApiClient({ fetch, connection: null }).metrics();
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe(
      "Bearer sk_test_stored",
    );
    expect(calls[0].url).toBe("/v1/metrics");
    setApiKey(null);
    expect(getApiKey()).toBeNull();
  });

  it("masks keys for display", () => {
    expect(maskKey("sk_test_demo1234")).toBe("sk_test_••••1234");
    expect(maskKey("short")).toBe("••••");
  });
});

describe("error envelope", () => {
  it("parses code, type, message, param and status", async () => {
    const { fetch } = stub(
      json(422, {
        error: {
          type: "idempotency_error",
          code: "idempotency_key_reused",
          message: "Keys can only be reused with the same request body.",
          param: null,
        },
      }),
    );
    const err = (await client(fetch)
      .createPayment(
        { amount: 1, currency: "USD", payment_method: { type: "card" }, user_id: "u" },
        "k",
      )
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe("idempotency_key_reused");
    expect(err.type).toBe("idempotency_error");
    expect(err.message).toBe("Keys can only be reused with the same request body.");
    expect(err.param).toBeNull();
  });

  it("keeps the offending param", async () => {
    const { fetch } = stub(
      json(400, {
        error: {
          type: "invalid_request_error",
          code: "parameter_invalid",
          message: "amount must be > 0",
          param: "amount",
        },
      }),
    );
    const err = (await client(fetch)
      .metrics()
      .catch((e: unknown) => e)) as ApiError;
    expect(err.param).toBe("amount");
    expect(err.code).toBe("parameter_invalid");
  });

  it("reads Retry-After on 429", async () => {
    const { fetch } = stub(
      json(
        429,
        { error: { type: "rate_limit_error", code: "rate_limited", message: "slow down" } },
        { "Retry-After": "3" },
      ),
    );
    const err = (await client(fetch)
      .metrics()
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("rate_limited");
    expect(err.retryAfter).toBe(3);
  });

  it("turns a non-envelope body into an http_<status> error that says so", async () => {
    const { fetch } = stub(
      new Response("<html>Bad Gateway</html>", {
        status: 502,
        headers: { "Content-Type": "text/html" },
      }),
    );
    const err = (await client(fetch)
      .metrics()
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("http_502");
    expect(err.type).toBe("api_error");
    expect(err.message).toContain("502");
    expect(err.message).toContain("Bad Gateway");
  });

  it("builds errors straight from a response", () => {
    const err = errorFromResponse(404, new Headers(), {
      error: {
        code: "resource_missing",
        message: "No such payment: pay_x",
        type: "invalid_request_error",
        param: "id",
      },
    });
    expect(err.code).toBe("resource_missing");
    expect(err.param).toBe("id");
    expect(err.isNetworkError).toBe(false);
  });

  it("reports a network failure as network_error with status 0", async () => {
    const { fetch } = stub(new TypeError("Failed to fetch"));
    const err = (await client(fetch)
      .metrics()
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("network_error");
    expect(err.status).toBe(0);
    expect(err.isNetworkError).toBe(true);
    expect(err.message).toContain("Failed to fetch");
  });
});

describe("idempotency", () => {
  const body = {
    amount: 1234,
    currency: "USD",
    payment_method: { type: "card" as const, card_number: "4242424242424242" },
    user_id: "user_1",
  };

  it("sends the Idempotency-Key header and the JSON body", async () => {
    const { fetch, calls } = stub(json(201, PAYMENT));
    const res = await client(fetch).createPayment(body, "key-123");
    const headers = calls[0].init.headers as Record<string, string>;
    expect(calls[0].init.method).toBe("POST");
    expect(headers["Idempotency-Key"]).toBe("key-123");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(calls[0].init.body as string)).toEqual(body);
    expect(res.status).toBe(201);
    expect(res.replayed).toBe(false);
    expect(res.data).toEqual(PAYMENT);
  });

  it("detects Idempotent-Replayed: true", async () => {
    const { fetch } = stub(json(201, PAYMENT, { "Idempotent-Replayed": "true" }));
    const res = await client(fetch).createPayment(body, "key-123");
    expect(res.replayed).toBe(true);
    expect(res.status).toBe(201);
  });

  it("does not call a response replayed when the header says false", async () => {
    const { fetch } = stub(json(201, PAYMENT, { "Idempotent-Replayed": "false" }));
    expect((await client(fetch).createPayment(body, "k")).replayed).toBe(false);
  });
});

describe("connection reporting", () => {
  it("goes offline on network errors, degraded on 503, online on any answer", async () => {
    const store = new ConnectionStore();
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().kind));
    const { fetch } = stub(
      new TypeError("Failed to fetch"),
      json(503, {
        error: { type: "api_error", code: "service_unavailable", message: "mongo is down" },
      }),
      json(404, {
        error: { type: "invalid_request_error", code: "resource_missing", message: "nope" },
      }),
    );
    const c = client(fetch, { connection: store });
    await c.metrics().catch(() => {});
    expect(store.getSnapshot()).toMatchObject({ kind: "offline" });
    await c.metrics().catch(() => {});
    expect(store.getSnapshot()).toMatchObject({ kind: "degraded", message: "mongo is down" });
    await c.getPayment("pay_x").catch(() => {});
    expect(store.getSnapshot()).toEqual({ kind: "online" });
    expect(seen).toEqual(["offline", "degraded", "online"]);
  });

  it("treats /healthz 503 as an answer, not a throw", async () => {
    const store = new ConnectionStore();
    const { fetch } = stub(
      json(503, { status: "degraded", dependencies: { mongo: "down: refused", redis: "ok" } }),
    );
    const res = await client(fetch, { connection: store }).health();
    expect(res.status).toBe(503);
    expect(res.data.dependencies.mongo).toBe("down: refused");
  });

  it("does not report a caller's cancellation as an outage", async () => {
    const store = new ConnectionStore();
    const controller = new AbortController();
    const fetch = vi.fn(
      (_url: RequestInfo | URL, init?: RequestInit) =>
        new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener("abort", () =>
            reject(new DOMException("aborted", "AbortError")),
          ),
        ),
    ) as unknown as typeof globalThis.fetch;
    const p = client(fetch, { connection: store }).metrics(controller.signal);
    controller.abort();
    await expect(p).rejects.toThrow();
    expect(store.getSnapshot().kind).toBe("online");
  });
});

describe("money movements", () => {
  it("sends refunds with their Idempotency-Key and lists them by payment and status", async () => {
    const { fetch, calls } = stub(
      json(201, { id: "re_1", object: "refund", status: "PENDING" }),
      json(200, { object: "list", url: "/v1/refunds", data: [], has_more: false }),
    );
    const c = client(fetch);
    const res = await c.createRefund({ payment: "pay_1", amount: 500, reason: "duplicate" }, "k-1");
    expect(res.status).toBe(201);
    expect(calls[0].url).toBe("http://api.test/v1/refunds");
    expect(calls[0].init.method).toBe("POST");
    expect((calls[0].init.headers as Record<string, string>)["Idempotency-Key"]).toBe("k-1");
    expect(JSON.parse(calls[0].init.body as string)).toEqual({
      payment: "pay_1",
      amount: 500,
      reason: "duplicate",
    });
    await c.listRefunds({ payment: "pay_1", status: "", limit: 25, starting_after: "re_0" });
    expect(calls[1].url).toBe(
      "http://api.test/v1/refunds?payment=pay_1&limit=25&starting_after=re_0",
    );
  });

  it("posts capture, cancel, evidence and close to their routes", async () => {
    const { fetch, calls } = stub(
      json(200, PAYMENT),
      json(200, PAYMENT),
      json(200, { id: "dp_1", status: "UNDER_REVIEW" }),
      json(200, { id: "dp_1", status: "LOST" }),
    );
    const c = client(fetch);
    await c.capturePayment("pay_1", { amount: 4000 });
    await c.cancelPayment("pay_1", { reason: "abandoned" });
    await c.submitDisputeEvidence("dp_1", { text: "winning_evidence" });
    await c.closeDispute("dp_1");
    expect(calls.map((x) => [x.init.method, x.url.replace("http://api.test", "")])).toEqual([
      ["POST", "/v1/payments/pay_1/capture"],
      ["POST", "/v1/payments/pay_1/cancel"],
      ["POST", "/v1/disputes/dp_1/evidence"],
      ["POST", "/v1/disputes/dp_1/close"],
    ]);
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ amount: 4000 });
    expect(JSON.parse(calls[1].init.body as string)).toEqual({ reason: "abandoned" });
    expect(JSON.parse(calls[2].init.body as string)).toEqual({ text: "winning_evidence" });
  });

  it("shows an over-refund as amount_too_large", async () => {
    const { fetch } = stub(
      json(400, {
        error: {
          type: "invalid_request_error",
          code: "amount_too_large",
          message: "refunds would exceed the captured amount",
          param: "amount",
        },
      }),
    );
    const err = (await client(fetch)
      .createRefund({ payment: "pay_1", amount: 999999 }, "k")
      .catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(400);
    expect(err.code).toBe("amount_too_large");
  });
});

describe("simulated outages", () => {
  it("a 503 simulated_outage is an answer, not a degraded API", async () => {
    const store = new ConnectionStore();
    const { fetch } = stub(
      json(
        503,
        { error: { type: "api_error", code: "simulated_outage", message: "simulated" } },
        { "Retry-After": "2" },
      ),
    );
    const err = await client(fetch, { connection: store })
      .request("POST", "/v1/payments", { body: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).retryAfter).toBe(2);
    expect(store.getSnapshot().kind).toBe("online");
  });
});
