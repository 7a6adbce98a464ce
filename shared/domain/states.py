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
    S.CREATED: frozenset({S.PROCESSING}),
    S.PROCESSING: frozenset({S.SUCCESS, S.FAILED, S.RETRYING}),
    S.RETRYING: frozenset({S.PROCESSING}),
    S.FAILED: frozenset({S.RETRYING}),  # manual retry only
    S.SUCCESS: frozenset(),
}
FINAL_STATES = frozenset({S.SUCCESS, S.FAILED})


def can_move(current: PaymentStatus | str, target: PaymentStatus | str) -> bool:
    return PaymentStatus(target) in TRANSITIONS[PaymentStatus(current)]


def check_move(current: PaymentStatus | str, target: PaymentStatus | str) -> None:
    if not can_move(current, target):
        raise IllegalTransition(f"a payment cannot move from {current} to {target}")


def is_final(status: PaymentStatus | str) -> bool:
    return PaymentStatus(status) in FINAL_STATES
