"""The payment state machine: the only legal moves, and what counts as final."""

from __future__ import annotations

from enum import StrEnum

from shared.domain.errors import IllegalTransition


class PaymentStatus(StrEnum):
    CREATED = "CREATED"
    PROCESSING = "PROCESSING"
    RETRYING = "RETRYING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    REQUIRES_CAPTURE = "REQUIRES_CAPTURE"  # authorised, funds held until captured or canceled
    CANCELED = "CANCELED"


class WebhookStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


S = PaymentStatus
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.CREATED: frozenset({S.PROCESSING, S.CANCELED}),
    S.PROCESSING: frozenset({S.SUCCESS, S.FAILED, S.RETRYING, S.REQUIRES_CAPTURE}),
    S.RETRYING: frozenset({S.PROCESSING, S.CANCELED}),
    S.FAILED: frozenset({S.RETRYING}),  # manual retry only
    S.REQUIRES_CAPTURE: frozenset({S.SUCCESS, S.CANCELED}),  # capture; cancel or expiry
    S.SUCCESS: frozenset(),
    S.CANCELED: frozenset(),
}
FINAL_STATES = frozenset({S.SUCCESS, S.FAILED, S.CANCELED})
# The states whose event is sent once the payment gets there (webhook_status tracks it).
SETTLED_STATES = FINAL_STATES | {S.REQUIRES_CAPTURE}
CANCELABLE_STATES = frozenset({S.CREATED, S.RETRYING, S.REQUIRES_CAPTURE})


def can_move(current: PaymentStatus | str, target: PaymentStatus | str) -> bool:
    return PaymentStatus(target) in TRANSITIONS[PaymentStatus(current)]


def check_move(current: PaymentStatus | str, target: PaymentStatus | str) -> None:
    if not can_move(current, target):
        raise IllegalTransition(f"a payment cannot move from {current} to {target}")


def is_final(status: PaymentStatus | str) -> bool:
    return PaymentStatus(status) in FINAL_STATES


def is_settled(status: PaymentStatus | str) -> bool:
    """Final, or waiting for the merchant (REQUIRES_CAPTURE): the gateway has answered."""
    return PaymentStatus(status) in SETTLED_STATES
