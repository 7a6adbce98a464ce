"""A dispute of a succeeded payment: its data, its small state machine and its decision rule.

NEEDS_RESPONSE → UNDER_REVIEW (evidence) | LOST (the merchant accepts it); UNDER_REVIEW → WON |
LOST (decided later). Like a payment, every change of status is `Dispute.move(...)`, which
checks the machine, bumps the version and records the move (`last_move`, the audit event's
content); a store writes it guarded by the state it was computed from.

`fanout_pending` is set by the moves that send an event (opening: `dispute.created`, closing:
`dispute.closed`) and cleared once its webhooks are queued: the sweeper's cue. It says that an
event is owed, not which, so a pending fan-out of a closed dispute sends both
(`owed_event_types`; sending one again is idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from shared.domain.errors import IllegalTransition
from shared.domain.payment import Payment
from shared.domain.webhooks import DISPUTE_CLOSED, DISPUTE_CREATED

DisputeReason = Literal["fraudulent"]  # the only reason the simulator's card network gives
WINNING_EVIDENCE = "winning_evidence"  # evidence containing this wins the dispute


class DisputeStatus(StrEnum):
    NEEDS_RESPONSE = "NEEDS_RESPONSE"
    UNDER_REVIEW = "UNDER_REVIEW"
    WON = "WON"
    LOST = "LOST"


D = DisputeStatus
DISPUTE_TRANSITIONS: dict[DisputeStatus, frozenset[DisputeStatus]] = {
    D.NEEDS_RESPONSE: frozenset({D.UNDER_REVIEW, D.LOST}),
    D.UNDER_REVIEW: frozenset({D.WON, D.LOST}),
    D.WON: frozenset(),
    D.LOST: frozenset(),
}
CLOSED_STATES = frozenset({D.WON, D.LOST})


def dispute_event_id(dispute_id: str, version: int) -> str:
    """The id of the audit event of the move that made `version`; `evt_dp_…` ids sort after
    the payment's own `evt_<ulid>_…` events in its timeline."""
    return f"evt_{dispute_id}_{version:04d}"


def decision(evidence: str | None) -> DisputeStatus:
    """The simulated card network's verdict on the evidence."""
    return D.WON if evidence is not None and WINNING_EVIDENCE in evidence else D.LOST


@dataclass(frozen=True)
class DisputeMove:
    """One move of a dispute, as its audit event records it (`from_status` None: opened)."""

    event_id: str
    from_status: DisputeStatus | None
    to: DisputeStatus
    at: datetime
    actor: str
    reason: str | None = None


@dataclass(frozen=True)
class Dispute:
    id: str
    merchant_id: str
    payment_id: str
    amount: int
    currency: str
    evidence_due_by: datetime
    created_at: datetime
    updated_at: datetime
    reason: DisputeReason = "fraudulent"
    status: DisputeStatus = D.NEEDS_RESPONSE
    evidence: str | None = None
    closed_at: datetime | None = None
    version: int = 1
    fanout_pending: bool = True
    last_move: DisputeMove | None = None

    @classmethod
    def opened(
        cls, *, dispute_id: str, payment: Payment, now: datetime, evidence_days: int
    ) -> Dispute:
        """A dispute of the captured amount, just opened: NEEDS_RESPONSE, version 1."""
        return cls(
            id=dispute_id,
            merchant_id=payment.merchant_id,
            payment_id=payment.id,
            amount=payment.amount_captured,
            currency=payment.currency,
            evidence_due_by=now + timedelta(days=evidence_days),
            created_at=now,
            updated_at=now,
            last_move=DisputeMove(
                dispute_event_id(dispute_id, 1), None, D.NEEDS_RESPONSE, now, "open_dispute"
            ),
        )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATES

    @property
    def owed_event_types(self) -> tuple[str, ...]:
        """What a pending fan-out sends: the opening's event, and the closing's once closed."""
        return (DISPUTE_CREATED, DISPUTE_CLOSED) if self.is_closed else (DISPUTE_CREATED,)

    def move(
        self,
        to: DisputeStatus,
        *,
        now: datetime,
        actor: str,
        reason: str | None = None,
        **changes: Any,
    ) -> Dispute:
        """The next state after moving to `to` (IllegalTransition if the machine forbids it).

        A closing move sets `fanout_pending`; other moves keep it (an unsent
        `dispute.created` stays owed)."""
        if to not in DISPUTE_TRANSITIONS[self.status]:
            raise IllegalTransition(f"a dispute cannot move from {self.status} to {to}")
        closing = to in CLOSED_STATES
        version = self.version + 1
        return replace(
            self,
            **changes,
            status=to,
            version=version,
            updated_at=now,
            closed_at=now if closing else self.closed_at,
            fanout_pending=self.fanout_pending or closing,
            last_move=DisputeMove(
                dispute_event_id(self.id, version), self.status, to, now, actor, reason
            ),
        )

    def evidence_submitted(self, text: str, *, now: datetime) -> Dispute:
        """NEEDS_RESPONSE → UNDER_REVIEW with the merchant's evidence."""
        return self.move(
            D.UNDER_REVIEW, now=now, actor="submit_evidence", reason="evidence", evidence=text
        )

    def accepted(self, *, now: datetime) -> Dispute:
        """NEEDS_RESPONSE → LOST: the merchant accepts the loss (once answered, it is the
        network's to decide)."""
        if self.status != D.NEEDS_RESPONSE:
            raise IllegalTransition(f"only a NEEDS_RESPONSE dispute is accepted, not {self.status}")
        return self.move(D.LOST, now=now, actor="close_dispute", reason="accepted")

    def decided(self, *, now: datetime) -> Dispute:
        """UNDER_REVIEW → WON | LOST, by the evidence (`decision`); only evidence is decided."""
        if self.status != D.UNDER_REVIEW:
            raise IllegalTransition(f"only an UNDER_REVIEW dispute is decided, not {self.status}")
        verdict = decision(self.evidence)
        reason = "evidence_accepted" if verdict == D.WON else "evidence_rejected"
        return self.move(verdict, now=now, actor="decide_dispute", reason=reason)
