"""A local QStash v2 server: the API subset the `qstash` SDK uses, messages kept in Redis.

Run: ``python -m emulators.qstash --port 8080 --redis-url redis://127.0.0.1:6379/1
--token T --current-signing-key sig_.. --next-signing-key sig_.. --time-scale 0.01``.

Delivery follows QStash: POST (or `Upstash-Method`) to the destination with the body
byte-for-byte, `Upstash-Forward-*` headers with the prefix stripped, `Upstash-Signature`
(HS256 JWT, current key), `Upstash-Message-Id`, `Upstash-Retried`, `Upstash-Schedule-Id`.
2xx is delivered; anything else (or no answer within `Upstash-Timeout`, default 30 s) is
retried up to `Upstash-Retries` (default 3) times, then dead-lettered with a failure callback.
489 with `Upstash-NonRetryable-Error: true` goes to the DLQ at once.

Choices where QStash is vague or the emulator deviates on purpose:

* Default backoff: ``min(86400, e ** (2.5 * n))`` seconds, n = 1 for the first retry
  (~12 s, 2.5 min, 30 min, ...), the table in QStash's retry docs.
* ``--time-scale`` (no such thing on QStash) multiplies the retry backoff only: the
  default backoff, `Upstash-Retry-Delay` expressions (ms, `retried` = 0 for the first
  retry), and `Retry-After` / `X-RateLimit-Reset*` hints on a failed response (seconds,
  RFC 1123 date or Go duration; more than a day is ignored). In dev (0.01) the default
  retries come after ~0.12 s, ~1.5 s, ~18 s. Honoured as given, as on QStash:
  `Upstash-Delay`, `Upstash-Not-Before`, callback delays, `Upstash-Timeout`, cron times,
  the 10-minute deduplication window, and the 5-minute signature lifetime.
* Deduplication (`Upstash-Deduplication-Id`, or content-based: destination + body +
  Content-Type + forwarded headers) is global, 10 minutes, atomic (one Lua script):
  a duplicate gets HTTP 202 with the original id and `"deduplicated": true`.
* Callbacks fire after every attempt, failure callbacks after the last failed one; both are
  new signed messages with QStash's JSON body (base64 `body`/`sourceBody`, `notBefore` and
  `createdAt` as strings of unix ms). Forwarded onto them: `Upstash-[Failure-]Callback-
  Forward-X` and the SDK's `Upstash-[Failure-]Callback-X`.
* Attempts that got no HTTP answer report status 0 (DLQ `responseStatus`, callback `status`)
  and an `error` text.
* Cron: 5 standard fields, or 6 with *seconds as the 6th field* (`* * * * * */5` = every
  5 s), optional `CRON_TZ=`. URL groups (`/v2/topics`) fan a publish out to each
  endpoint (one deduplication per endpoint); schedules take URL destinations only.
  Queues are accepted (name recorded) but not ordered, and queue management is not
  implemented. Signing keys rotate in memory only. DLQ retry
  (`POST /v2/dlq/retry/{id}`) republishes with a new message id and ignores override headers.
* Flow control (`flow_control.py`): per-key parallelism and rate from
  `Upstash-Flow-Control-*`, enforced when a message is claimed; each message is admitted
  with the limits it was published with. The management API (`flow_control_api.py`) reports
  a key (`GET /v2/flowControl[/{key}]`) and the global delivery slots
  (`GET /v2/globalParallelism`), and pauses, resumes, pins, unpins and resets the rate of a
  key; pause and pins are read inside the claim script. After `unpin` the messages' own
  limits apply at once (QStash keeps the last pinned ones until a new message arrives).
* `GET /_emulator/stats` (not a QStash API; token required): what this process would have
  billed since it started — messages published, duplicates, callbacks, schedule fires,
  deliveries and retries — and how many messages are due or in flight (see `stats.py`).

Persistence and crashes: all message, DLQ, schedule and flow-control state is in Redis (see
`store.py`); each state change is one Lua script. A claimed message holds a lease renewed while its
attempt runs; after a crash (SIGKILL) it is claimed again once the lease (5 s) runs out, so
delivery is at-least-once and `Upstash-Retried` keeps counting across restarts. Redis
unreachable: API calls answer 503, `/healthz` 503, deliveries wait for it.

Throughput: publishes and acks queued in one event-loop turn go to Redis as one pipeline
(`batching.py`); deliveries use a keep-alive HTTP/1.1 client on `httptools`
(`http_client.py`) instead of httpx, whose connection pool dominated the CPU profile.
About 0.5 ms of emulator CPU per message (publish + delivery + bookkeeping).
"""
