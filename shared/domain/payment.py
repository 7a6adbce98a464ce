"""The payment: its data and its rules. Pure: stores persist it, use cases decide with it.

Every change of status is `Payment.move(...)`, which checks the state machine and returns the
next state with its version bumped and the move recorded as `last_transition` (the audit
event's content, its id derived from the new version). A store then writes the change guarded
by the state it was computed from, so a move computed from a stale read changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.domain.payment_methods import stored_method
from shared.domain.simulator import Simulate, magic_outcome_key
from shared.domain.states import (
    CANCELABLE_STATES,
    PaymentStatus,
    WebhookStatus,
    check_move,
    is_final,
    is_settled,
)
from shared.domain.webhooks import CANCELED, FAILED, REQUIRES_CAPTURE, SUCCEEDED

if TYPE_CHECKING:  # an annotation only: the request models are not imported at run time
    from shared.domain.requests import PaymentCreate

AUTOMATIC = "automatic"
MANUAL = "manual"
EXPIRED = "expired"  # the cancellation reason of an authorization nobody captured in time
SETTLED_EVENT_TYPES = {
    PaymentStatus.SUCCESS: SUCCEEDED,
    PaymentStatus.FAILED: FAILED,
    PaymentStatus.CANCELED: CANCELED,
    PaymentStatus.REQUIRES_CAPTURE: REQUIRES_CAPTURE,
}


def event_id(payment_id: str, version: int) -> str:
    """The id of the audit event of the move that made `version` (one per version)."""
    return f"evt_{payment_id.removeprefix('pay_')}_{version:04d}"


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    advice_code: str | None = None


@dataclass(frozen=True)
class StoredResponse:
    """How the first request with an idempotency key was answered; replays answer the same."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Transition:
    """One move of a payment, as its audit event records it."""

    event_id: str
    from_status: PaymentStatus
    to: PaymentStatus
    at: datetime
    attempt: int
    generation: int
    actor: str
    reason: str | None = None
    qstash_message_id: str | None = None


@dataclass(frozen=True)
class Payment:
    id: str
    merchant_id: str
    idempotency_key: str
    fingerprint: str
    amount: int
    currency: str
    payment_method: dict[str, str]  # what is kept: type, brand/last4, masked vpa or wallet
    user_id: str
    created_at: datetime
    updated_at: datetime
    max_attempts: int
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    scenario: str | None = None
    magic: str | None = None  # which magic test value it carries (never the value)
    simulate: Simulate | None = None  # the request's scripted attempts / latency
    capture_method: str = AUTOMATIC
    amount_captured: int = 0
    # Succeeded refunds; the store counts them (and reserves pending ones) atomically.
    amount_refunded: int = 0
    cancellation_reason: str | None = None
    authorization_expires_at: datetime | None = None
    dispute_id: str | None = None
    status: PaymentStatus = PaymentStatus.CREATED
    attempts: int = 0  # within the current generation
    retry_count: int = 0  # every attempt after the very first, across generations
    generation: int = 1  # a manual retry starts the next one
    version: int = 0
    failure: Failure | None = None
    webhook_status: WebhookStatus = WebhookStatus.PENDING
    # Bumped whenever a final event is sent again, so a summary read before cannot land.
    webhook_epoch: int = 0
    # Set by the final move, cleared once its webhooks are queued (the sweeper's cue).
    fanout_pending: bool = False
    published: bool = True
    lease_until: datetime | None = None
    lease_owner: str | None = None
    finalized_at: datetime | None = None
    latency_ms: int | None = None
    last_transition: Transition | None = None
    # The move before it: a claim's audit row waits for the next move's (see the repository),
    # so the payment carries what a crash between a move and its rows' insert would lose.
    previous_transition: Transition | None = None

    @classmethod
    def create(
        cls,
        *,
        payment_id: str,
        merchant_id: str,
        idempotency_key: str,
        fingerprint: str,
        request: PaymentCreate,
        max_attempts: int,
        now: datetime,
    ) -> Payment:
        """A payment just accepted: CREATED, generation 1, nothing attempted."""
        method = request.payment_method.model_dump(exclude_none=True)
        return cls(
            id=payment_id,
            merchant_id=merchant_id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            amount=request.amount,
            currency=request.currency.upper(),
            payment_method=stored_method(method),
            user_id=request.user_id,
            description=request.description,
            metadata=dict(request.metadata),
            scenario=request.scenario.value if request.scenario else None,
            magic=magic_outcome_key(method),
            simulate=request.simulate.to_domain() if request.simulate else None,
            capture_method=request.capture_method,
            max_attempts=max_attempts,
            created_at=now,
            updated_at=now,
        )

    # --- what it is ------------------------------------------------------------------
    @property
    def is_final(self) -> bool:
        return is_final(self.status)

    @property
    def can_retry(self) -> bool:
        """Only a FAILED payment may be retried by the merchant."""
        return self.status == PaymentStatus.FAILED

    @property
    def attempt_number(self) -> int:
        """The current attempt counted across generations (1 for the very first)."""
        return self.retry_count + 1

    @property
    def on_last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts

    def audited_moves(self, *, pending: bool = False) -> list[Transition]:
        """The moves whose audit rows a write of this state owes, oldest first: the last two
        (what a crash between a move and its rows' insert can have lost). A claim's own row
        (the last move, into PROCESSING) waits for the move that ends the attempt, unless
        `pending` (a read of the trail shows it)."""
        moves = [self.previous_transition]
        if pending or self.status != PaymentStatus.PROCESSING:
            moves.append(self.last_transition)
        return [move for move in moves if move is not None]

    def lease_live(self, now: datetime) -> bool:
        """PROCESSING under a lease that has not expired: its worker is still on it."""
        return (
            self.status == PaymentStatus.PROCESSING
            and self.lease_until is not None
            and self.lease_until > now
        )

    @property
    def is_settled(self) -> bool:
        """Final, or authorised and waiting for a capture: the gateway has answered."""
        return is_settled(self.status)

    @property
    def can_cancel(self) -> bool:
        return self.status in CANCELABLE_STATES

    @property
    def final_event_type(self) -> str:
        """The event a settled payment's webhooks carry (its latest settling move's)."""
        return SETTLED_EVENT_TYPES.get(self.status, FAILED)

    @property
    def refundable(self) -> int:
        """What is left to refund, before pending refunds (the store checks those)."""
        return self.amount_captured - self.amount_refunded

    def lease_expired(self, now: datetime) -> bool:
        return self.status == PaymentStatus.PROCESSING and not self.lease_live(now)

    # --- moves -----------------------------------------------------------------------
    def move(
        self,
        to: PaymentStatus,
        *,
        now: datetime,
        actor: str,
        reason: str | None = None,
        qstash_message_id: str | None = None,
        **changes: Any,
    ) -> Payment:
        """The next state after moving to `to` (IllegalTransition if the machine forbids it)."""
        check_move(self.status, to)
        changed = replace(self, **changes) if changes else self
        version = self.version + 1
        transition = Transition(
            event_id=event_id(self.id, version),
            from_status=self.status,
            to=to,
            at=now,
            attempt=changed.attempts,
            generation=changed.generation,
            actor=actor,
            reason=reason,
            qstash_message_id=qstash_message_id,
        )
        return replace(
            changed,
            status=to,
            version=version,
            updated_at=now,
            last_transition=transition,
            previous_transition=self.last_transition,
        )

    def claimed(
        self, *, now: datetime, lease_s: int, owner: str, qstash_message_id: str | None
    ) -> Payment:
        """CREATED|RETRYING → PROCESSING: one more attempt, under a fresh lease."""
        first_ever = self.attempts == 0 and self.generation == 1
        return self.move(
            PaymentStatus.PROCESSING,
            now=now,
            actor="process_payment",
            qstash_message_id=qstash_message_id,
            attempts=self.attempts + 1,
            retry_count=self.retry_count + (0 if first_ever else 1),
            lease_until=now + timedelta(seconds=lease_s),
            lease_owner=owner,
        )

    def lease_taken_over(self, *, now: datetime, lease_s: int, owner: str) -> Payment:
        """A PROCESSING payment whose worker died gets a new lease (no move, a new version)."""
        return replace(
            self,
            version=self.version + 1,
            updated_at=now,
            lease_until=now + timedelta(seconds=lease_s),
            lease_owner=owner,
        )

    def retrying(
        self, failure: Failure, *, now: datetime, actor: str, qstash_message_id: str | None
    ) -> Payment:
        """PROCESSING → RETRYING after a retryable outcome; the queue redelivers it."""
        return self.move(
            PaymentStatus.RETRYING,
            now=now,
            actor=actor,
            reason=failure.code,
            qstash_message_id=qstash_message_id,
            lease_until=None,
            failure=failure,
        )

    def settles_as(self, status: PaymentStatus) -> PaymentStatus:
        """Where a gateway answer takes it: a manual capture's success only authorises."""
        if status == PaymentStatus.SUCCESS and self.capture_method == MANUAL:
            return PaymentStatus.REQUIRES_CAPTURE
        return status

    def finalised(
        self,
        status: PaymentStatus,
        failure: Failure | None,
        *,
        now: datetime,
        actor: str,
        webhook_status: WebhookStatus,
        qstash_message_id: str | None,
        authorization_ttl_s: int = 0,
    ) -> Payment:
        """PROCESSING → SUCCESS | FAILED (REQUIRES_CAPTURE for a manual capture's success,
        held for `authorization_ttl_s`), with the time the gateway took since creation."""
        status = self.settles_as(status)
        authorised = status == PaymentStatus.REQUIRES_CAPTURE
        return self.move(
            status,
            now=now,
            actor=actor,
            reason=failure.code if failure else None,
            qstash_message_id=qstash_message_id,
            failure=failure,
            finalized_at=now,
            latency_ms=int((now - self.created_at).total_seconds() * 1000),
            lease_until=None,
            amount_captured=self.amount if status == PaymentStatus.SUCCESS else 0,
            authorization_expires_at=now + timedelta(seconds=authorization_ttl_s)
            if authorised
            else None,
            **self._webhooks_reset(webhook_status),
        )

    def captured(self, amount: int, *, now: datetime, webhook_status: WebhookStatus) -> Payment:
        """REQUIRES_CAPTURE → SUCCESS for `amount` (≤ the authorised amount, checked before)."""
        return self.move(
            PaymentStatus.SUCCESS,
            now=now,
            actor="capture_payment",
            amount_captured=amount,
            finalized_at=now,
            authorization_expires_at=None,
            **self._webhooks_reset(webhook_status),
        )

    def canceled(
        self, reason: str, *, now: datetime, actor: str, webhook_status: WebhookStatus
    ) -> Payment:
        """CREATED | RETRYING | REQUIRES_CAPTURE → CANCELED (by the merchant, or expired)."""
        return self.move(
            PaymentStatus.CANCELED,
            now=now,
            actor=actor,
            reason=reason,
            cancellation_reason=reason,
            finalized_at=now,
            lease_until=None,
            authorization_expires_at=None,
            published=True,
            **self._webhooks_reset(webhook_status),
        )

    def _webhooks_reset(self, webhook_status: WebhookStatus) -> dict[str, Any]:
        """A settling move sends a new event: its webhooks start PENDING (SKIPPED with no
        endpoint) under a new epoch, so a summary of the previous event cannot land. The event
        is owed (`fanout_pending`) even with no endpoint: it is stored for `GET /v1/events`."""
        return {
            "webhook_status": webhook_status,
            "webhook_epoch": self.webhook_epoch + 1,
            "fanout_pending": True,
        }

    def manually_retried(self, *, now: datetime) -> Payment:
        """FAILED → RETRYING as a new generation: attempts counted afresh, retry_count kept."""
        return self.move(
            PaymentStatus.RETRYING,
            now=now,
            actor="retry_payment",
            reason="manual_retry",
            generation=self.generation + 1,
            attempts=0,
            failure=None,
            finalized_at=None,
            latency_ms=None,
            webhook_status=WebhookStatus.PENDING,
            webhook_epoch=0,
            fanout_pending=False,
            published=True,
        )
