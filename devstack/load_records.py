"""What a load run's client sent and did, as the invariant checker reads it afterwards.

`SentPayment` is one idempotency key of `POST /v1/payments` (a deliberate duplicate names its
original in `duplicate_of`). A payment picked for a money movement carries a `MoneyPlan`: what
the client means to do with it (capture, cancel, refund, answer its dispute) and, once done,
what it did (the capture amount it asked for, every refund request, the evidence it sent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Doc = dict[str, Any]

CAPTURE_FULL = "full"
CAPTURE_PARTIAL = "partial"
CANCEL_EARLY = "early"  # as soon as it can be canceled (CREATED, RETRYING, REQUIRES_CAPTURE)
CANCEL_LATE = "late"  # once authorised (REQUIRES_CAPTURE)
DISPUTE_WIN = "win"  # evidence containing WINNING_EVIDENCE
DISPUTE_LOSE = "lose"  # evidence without it
DISPUTE_ACCEPT = "accept"  # POST /close
WINNING_EVIDENCE = "winning_evidence"


@dataclass
class SentPayment:
    """One idempotency key as the client saw it (a deliberate duplicate has `duplicate_of`)."""

    key: str
    kind: str
    body: Doc
    duplicate_of: str | None = None
    accepted: bool = False
    payment_id: str | None = None
    replayed: bool = False
    status_code: int | None = None
    tries: int = 0
    latency_ms: float | None = None  # of the request that was accepted
    error: str | None = None  # "rejected": a 4xx that is not retried; else the last failure
    first_status: int | None = None  # what the first try was answered (None: no answer)
    money: MoneyPlan | None = None  # originals only


@dataclass
class SentRefund:
    """One `POST /v1/refunds` key; `replay_of` names the key it re-sends, `over_limit` marks a
    request for more than is left (it must be refused: 400 `amount_too_large`)."""

    key: str
    payment_id: str
    amount: int
    replay_of: str | None = None
    accepted: bool = False
    status_code: int | None = None
    tries: int = 0
    error: str | None = None
    over_limit: bool = False
    refund_id: str | None = None
    replayed: bool = False
    error_code: str | None = None

    @property
    def body(self) -> Doc:
        return {
            "payment": self.payment_id,
            "amount": self.amount,
            "reason": "requested_by_customer",
        }


@dataclass
class MoneyPlan:
    """What the client does with one payment once it can, and what it did."""

    capture: str | None = None  # CAPTURE_FULL | CAPTURE_PARTIAL, once REQUIRES_CAPTURE
    cancel: str | None = None  # CANCEL_EARLY | CANCEL_LATE
    refunds: int = 0  # partial refunds once SUCCESS (each with its own key), then a replay
    dispute: str | None = None  # DISPUTE_WIN | DISPUTE_LOSE | DISPUTE_ACCEPT
    # What was done (filled in by devstack.load_money):
    capture_amount: int | None = None  # what the capture asked for
    canceled: bool = False
    sent_refunds: list[SentRefund] = field(default_factory=list)
    dispute_id: str | None = None
    evidence: str | None = None
    closed: bool = False
    done: bool = False  # nothing left to do (or nothing can be done: the payment ended so)
    errors: list[str] = field(default_factory=list)  # requests refused or never answered

    @property
    def manual(self) -> bool:
        return self.capture is not None or self.cancel is not None
