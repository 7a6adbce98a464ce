"""The ports: what the use cases need from the outside world, as small `typing.Protocol`s.

Use cases depend on these, never on a concrete adapter. `shared/adapters/` implements each one
against a real service (Mongo, Upstash REST, QStash, HTTP, S3); `tests/fakes/` implements
them in memory for the unit tier. Only the composition root (`shared/web/bootstrap.py`)
puts a concrete adapter behind a port.

Documents cross the store ports as plain dicts (`Doc`): the stored shape is the adapters'
business, the rules live in `shared/domain/`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from shared.domain.dispute import Dispute
from shared.domain.payment import Payment, StoredResponse
from shared.domain.refund import Refund, RefundStatus
from shared.domain.simulator_settings import Baseline, SimulatorSettings
from shared.domain.states import WebhookStatus
from shared.domain.tasks import Message
from shared.domain.webhooks import SendResult

Doc = dict[str, Any]


class PaymentStore(Protocol):
    """Payments and their append-only trail of moves (`payment_events`)."""

    async def get(self, payment_id: str, merchant_id: str | None = None) -> Payment | None: ...

    async def find_by_key(
        self, merchant_id: str, idempotency_key: str
    ) -> tuple[Payment, StoredResponse] | None: ...

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        status: str | None = None,
        user_id: str | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> tuple[list[Payment], bool]: ...

    async def events_of(self, payment: Payment) -> list[Doc]:
        """The audit trail, oldest first, with the last move's row even if not yet written."""
        ...

    async def stale(
        self, *, unpublished_before: datetime, lease_expired_before: datetime, limit: int
    ) -> list[Payment]: ...

    async def expired_authorizations(self, *, before: datetime, limit: int) -> list[Payment]:
        """REQUIRES_CAPTURE payments whose authorization expired before `before`."""

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Payment]:
        """Final payments whose webhooks were never (all) queued."""

    async def insert(self, payment: Payment, response: StoredResponse) -> None:
        """Raises DuplicatePayment when (merchant, idempotency key) is taken."""

    async def mark_published(
        self, payment_id: str, published: bool, *, version: int | None = None
    ) -> bool:
        """Whether the payment's next step is known to be queued (False: the sweeper's cue);
        with `version`, only while the payment is still at that version."""

    async def settle_webhook_status(self, payment: Payment, status: WebhookStatus) -> bool:
        """PENDING → `status`, only while the payment's generation, webhook status and epoch
        are still those of `payment` (a summary from an overtaken read cannot land)."""

    async def settle_lone_webhook_status(
        self, payment_id: str, generation: int, epoch: int, status: WebhookStatus
    ) -> bool:
        """PENDING → `status`, only while the generation and webhook epoch are as given (the
        summary of an event sent to one endpoint: its one delivery's outcome)."""

    async def reopen_webhook_status(self, payment_id: str, generation: int) -> None:
        """Back to PENDING with a new epoch: a final event is being sent again."""

    async def finish_fan_out(self, payment: Payment, *, skipped: bool) -> None:
        """Clear `fanout_pending` (and mark SKIPPED when no endpoint was left), only while
        the payment is still at `payment`'s version (a later settling move set it anew)."""

    async def save(self, before: Payment, after: Payment) -> Payment | None:
        """Write `after` (computed from `before` by the domain) if the stored payment is still
        `before` (same status and version); None when another writer got there first."""

    async def take_over_lease(
        self, before: Payment, after: Payment, now: datetime
    ) -> Payment | None:
        """`save`, only if `before`'s lease had expired by `now`."""

    async def ensure_event(self, payment: Payment) -> None:
        """Write the audit event of the payment's last move, once (idempotent)."""

    async def attach_dispute(self, payment_id: str, dispute_id: str) -> None:
        """Record the payment's dispute (once: a payment has at most one)."""

    async def undisputed(
        self, *, magic: str, finalized_before: datetime, limit: int
    ) -> list[Payment]:
        """SUCCESS payments carrying `magic`, finalized before the time, with no dispute yet."""


class DisputeStore(Protocol):
    """Disputes; their moves go to the payment's trail (`payment_events`, object_type dispute)."""

    async def get(self, dispute_id: str, merchant_id: str | None = None) -> Dispute | None: ...

    async def of_payment(self, payment_id: str) -> Dispute | None: ...

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        payment_id: str | None = None,
        status: str | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Dispute], bool]:
        """Newest first; returns (page, has_more)."""

    async def insert(self, dispute: Dispute) -> Dispute:
        """Store a newly opened dispute and its event; if its payment has one already (a
        concurrent or repeated opening), that one is returned and nothing is written."""

    async def save(self, before: Dispute, after: Dispute) -> Dispute | None:
        """Write `after` if the stored dispute is still `before` (status and version), and its
        move's event; None when another writer got there first."""

    async def ensure_event(self, dispute: Dispute) -> None:
        """Write the audit event of the dispute's last move, once (idempotent)."""

    async def finish_fan_out(self, dispute: Dispute) -> None:
        """Clear `fanout_pending`, only while the dispute is still at `dispute`'s version."""

    async def under_review(self, *, updated_before: datetime, limit: int) -> list[Dispute]:
        """UNDER_REVIEW disputes untouched since before the time (their decision is late)."""

    async def fanout_pending(self, *, updated_before: datetime, limit: int) -> list[Dispute]:
        """Disputes whose event's webhooks were never (all) queued."""


class RefundStore(Protocol):
    """Refunds, their moves (in `payment_events`, on their payment's timeline) and the refund
    bookkeeping on the payment: what is reserved, and what was settled."""

    async def get(self, refund_id: str, merchant_id: str | None = None) -> Refund | None: ...

    async def find_by_key(
        self, merchant_id: str, idempotency_key: str
    ) -> tuple[Refund, StoredResponse] | None: ...

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        payment_id: str | None = None,
        status: str | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Refund], bool]: ...

    async def of_payment(self, payment_id: str) -> list[Refund]:
        """Oldest first."""

    async def stale(self, *, unpublished_or_before: datetime, limit: int) -> list[Refund]:
        """PENDING refunds never published, or untouched since before the given time."""

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Refund]:
        """Final refunds whose webhooks were never (all) queued."""

    async def reserved_of(self, payment_id: str) -> int:
        """The payment's `refund_reserved` (pending + succeeded refunds)."""

    async def insert(self, refund: Refund, response: StoredResponse) -> None:
        """Raises DuplicateRefund when (merchant, idempotency key) is taken."""

    async def discard(self, refund: Refund) -> None:
        """Delete a still-PENDING refund that was never reserved."""

    async def reserve(self, refund: Refund) -> bool:
        """Atomically reserve the refund's amount on its SUCCESS payment if the reservations
        stay ≤ `amount_captured`; True if it is reserved (now or earlier), False if no room."""

    async def settle(self, refund: Refund) -> RefundStatus | None:
        """Decide the refund's outcome on its payment, once: the first call counts its status
        (SUCCEEDED adds to `amount_refunded`, FAILED releases its reservation); every call
        answers the decided status. None when the refund was never reserved."""

    async def save(self, before: Refund, after: Refund) -> Refund | None:
        """Write `after` if the stored refund is still `before`; None when another writer won."""

    async def ensure_event(self, refund: Refund) -> None: ...

    async def mark_published(
        self, refund_id: str, published: bool, *, version: int | None = None
    ) -> bool: ...

    async def touch(self, refund: Refund, now: datetime) -> None:
        """A swept PENDING refund: the next sweep waits `stale_after_s` again."""

    async def finish_fan_out(self, refund: Refund) -> None:
        """Clear `fanout_pending`, only while the refund is at `refund`'s version."""


class WebhookStore(Protocol):
    """Webhook events, endpoints, deliveries (one per event and endpoint) and their attempts."""

    async def insert_event(self, event: Doc) -> Doc:
        """Store the event once; if it exists, the stored one."""

    async def event(self, event_id: str, merchant_id: str) -> Doc | None: ...

    async def events_page(
        self,
        merchant_id: str,
        *,
        limit: int,
        event_type: str | None = None,
        payment_id: str | None = None,
        before_key: str | None = None,
        from_key: str | None = None,
    ) -> tuple[list[Doc], bool]:
        """Newest first by `sort_key`, below `before_key`, at or above `from_key`."""

    async def count_outcome(self, endpoint_id: str, *, ok: bool) -> Doc | None:
        """Reset (success) or add one to (failure) the endpoint's run of failed deliveries."""

    async def disable_endpoint(
        self, endpoint_id: str, threshold: int, fields: Doc
    ) -> Doc | None: ...

    async def deliveries_of_event(self, event_id: str, merchant_id: str) -> list[Doc]: ...

    async def failed_deliveries(
        self, endpoint_id: str, *, since: datetime, after_id: str | None, limit: int
    ) -> list[Doc]:
        """FAILED deliveries of the endpoint created since `since`, in id order after `after_id`."""

    async def insert_endpoint(self, endpoint: Doc) -> None: ...

    async def endpoint(self, endpoint_id: str, merchant_id: str | None = None) -> Doc | None: ...

    async def endpoints_of(self, merchant_id: str) -> list[Doc]: ...

    async def update_endpoint(
        self, endpoint_id: str, merchant_id: str, fields: Doc
    ) -> Doc | None: ...

    async def insert_deliveries(self, deliveries: list[Doc]) -> None: ...

    async def delivery(self, delivery_id: str, merchant_id: str | None = None) -> Doc | None: ...

    async def deliveries_of(self, payment_id: str) -> list[Doc]: ...

    async def final_delivery_statuses(self, payment_id: str, generation: int) -> list[str]: ...

    async def update_delivery(
        self, delivery_id: str, guard: Doc, fields: Doc, inc: Doc | None = None
    ) -> Doc | None: ...

    async def mark_unpublished(self, delivery_ids: list[str]) -> None:
        """Their publish failed: the sweeper publishes PENDING deliveries marked so."""

    async def stranded(self, *, unpublished_or_before: datetime, limit: int) -> list[Doc]:
        """PENDING deliveries never published, or untouched since before the given time."""

    async def record_attempt(self, attempt: Doc) -> None: ...

    async def attempts_of(self, delivery_ids: list[str]) -> list[Doc]: ...


class SimulatorStore(Protocol):
    """Each merchant's simulator settings (one document, versioned)."""

    async def load(self, merchant_id: str, baseline: Baseline) -> SimulatorSettings | None:
        """The stored settings (a reset reads as `baseline`'s defaults); None if never set."""

    async def save(
        self,
        merchant_id: str,
        settings: SimulatorSettings | None,
        *,
        now: datetime,
        baseline: Baseline,
    ) -> SimulatorSettings:
        """One atomic write: the values (None: back to the defaults), updated_at = now and
        the version + 1; returns what is now stored."""


class MerchantStore(Protocol):
    async def by_key_hash(self, api_key_hash: str) -> Doc | None: ...

    async def insert_if_absent(self, merchant: Doc) -> None: ...


class Lock(Protocol):
    """A lock with an owner token and a time to live (Upstash `SET NX PX`)."""

    async def acquire(self, key: str, ttl_ms: int) -> str | None:
        """The owner token when this caller now holds `key`, else None."""

    async def release(self, key: str, token: str) -> bool: ...


class TaskQueue(Protocol):
    """At-least-once, deduplicated delivery of messages to function routes (QStash)."""

    async def publish(self, message: Message) -> str:
        """The queue's message id; raises DependencyUnavailable when the queue is down."""

    async def publish_many(self, messages: list[Message]) -> None: ...


class WebhookSender(Protocol):
    async def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
        """POST `body` to `url`; never raises (a failure is a SendResult with an error)."""


class HostResolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to (IP strings); empty when it does not resolve."""


class ReplayGuard(Protocol):
    async def first_use(self, token_id: str) -> bool:
        """True the first time `token_id` is seen within the guard's window."""


class Counter(Protocol):
    async def incr(self, key: str, ttl_s: int) -> int:
        """`key`'s count after adding one (1 the first time; forgotten `ttl_s` after that)."""


class RateLimit(Protocol):
    async def check(self, merchant_id: str) -> int | None:
        """None when the request may pass, else the seconds to wait."""


class MetricsReader(Protocol):
    """The aggregations behind a merchant's metrics."""

    async def status_counts(self, merchant_id: str) -> dict[str, int]: ...

    async def method_counts(self, merchant_id: str) -> dict[str, int]: ...

    async def delivery_counts(self, merchant_id: str) -> dict[str, int]: ...

    async def average_retries(self, merchant_id: str) -> float | None: ...

    async def latency_percentiles(
        self, merchant_id: str, quantiles: tuple[float, ...]
    ) -> dict[float, int | None]: ...

    async def per_minute(self, merchant_id: str, since_minute: str) -> dict[str, int]: ...

    async def refund_counts(self, merchant_id: str) -> dict[str, int]:
        """Refunds per status."""

    async def amount_refunded(self, merchant_id: str) -> dict[str, int]:
        """The sum of the merchant's succeeded refunds per currency (minor units)."""


class SettlementReader(Protocol):
    """Payments that became final during a time range, per merchant."""

    async def merchants_with_final_payments(self, start: datetime, end: datetime) -> list[str]: ...

    async def final_payments(
        self, merchant_id: str, start: datetime, end: datetime
    ) -> list[Payment]: ...

    async def merchants_with_final_refunds(self, start: datetime, end: datetime) -> list[str]: ...

    async def final_refunds(self, merchant_id: str, start: datetime, end: datetime) -> list[Refund]:
        """The merchant's refunds that became SUCCEEDED or FAILED in [start, end)."""


class ReportStore(Protocol):
    """Where settlement reports are kept (S3)."""

    async def put_csv(self, key: str, body: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def presigned_get(self, key: str, expires_s: int) -> str: ...
