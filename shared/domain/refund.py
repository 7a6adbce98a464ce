"""A refund of (part of) a SUCCESS payment: its data and its tiny state machine.

PENDING → SUCCEEDED | FAILED, nothing else. Like a payment, every move is `Refund.move(...)`,
which checks the machine and returns the next state with its version bumped and the move
recorded (`last_transition`); the store writes it guarded by the state it was computed from.
How much of a payment may still be refunded is not decided here: the store reserves each
refund's amount on the payment atomically (see `RefundStore.reserve`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.errors import IllegalTransition
from shared.domain.payment import Failure
from shared.domain.webhooks import REFUND_FAILED, REFUND_SUCCEEDED

NO_ROOM = Failure("amount_too_large", "The payment has no refundable amount left for it")
GAVE_UP = Failure("processing_error", "The refund could not be processed")


class RefundStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


REFUND_TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}
EVENT_TYPES = {RefundStatus.SUCCEEDED: REFUND_SUCCEEDED, RefundStatus.FAILED: REFUND_FAILED}


def check_refund_move(current: RefundStatus | str, target: RefundStatus | str) -> None:
    if RefundStatus(target) not in REFUND_TRANSITIONS[RefundStatus(current)]:
        raise IllegalTransition(f"a refund cannot move from {current} to {target}")


def refund_event_id(refund_id: str, version: int) -> str:
    """The audit event id of a refund's move (its own namespace in `payment_events`)."""
    return f"evt_{refund_id}_{version:04d}"


@dataclass(frozen=True)
class RefundTransition:
    event_id: str
    from_status: RefundStatus
    to: RefundStatus
    at: datetime
    actor: str
    reason: str | None = None
    qstash_message_id: str | None = None


@dataclass(frozen=True)
class Refund:
    id: str
    merchant_id: str
    payment_id: str
    amount: int
    currency: str
    idempotency_key: str
    fingerprint: str
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status: RefundStatus = RefundStatus.PENDING
    failure: Failure | None = None
    version: int = 0
    # False when its processing message could not be published (the sweeper's cue).
    published: bool = True
    # Set by the final move, cleared once its webhooks are queued (the sweeper's cue).
    fanout_pending: bool = False
    finalized_at: datetime | None = None
    last_transition: RefundTransition | None = None

    @property
    def is_final(self) -> bool:
        return self.status != RefundStatus.PENDING

    @property
    def event_type(self) -> str | None:
        """The webhook event of a final refund."""
        return EVENT_TYPES.get(self.status)

    def move(
        self,
        to: RefundStatus,
        *,
        now: datetime,
        actor: str,
        reason: str | None = None,
        qstash_message_id: str | None = None,
        **changes: Any,
    ) -> Refund:
        """The next state after moving to `to` (IllegalTransition if the machine forbids it)."""
        check_refund_move(self.status, to)
        version = self.version + 1
        transition = RefundTransition(
            event_id=refund_event_id(self.id, version),
            from_status=self.status,
            to=to,
            at=now,
            actor=actor,
            reason=reason,
            qstash_message_id=qstash_message_id,
        )
        changed = replace(self, **changes) if changes else self
        return replace(
            changed, status=to, version=version, updated_at=now, last_transition=transition
        )

    def succeeded(self, *, now: datetime, actor: str, qstash_message_id: str | None) -> Refund:
        return self.move(
            RefundStatus.SUCCEEDED,
            now=now,
            actor=actor,
            qstash_message_id=qstash_message_id,
            finalized_at=now,
            fanout_pending=True,
            published=True,
        )

    def failed(
        self, failure: Failure, *, now: datetime, actor: str, qstash_message_id: str | None
    ) -> Refund:
        return self.move(
            RefundStatus.FAILED,
            now=now,
            actor=actor,
            reason=failure.code,
            qstash_message_id=qstash_message_id,
            failure=failure,
            finalized_at=now,
            fanout_pending=True,
            published=True,
        )
