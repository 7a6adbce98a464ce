"""The dispute: its state machine, its moves and the simulated network's decision rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.dispute import (
    DISPUTE_TRANSITIONS,
    Dispute,
    DisputeStatus,
    decision,
    dispute_event_id,
)
from shared.domain.errors import IllegalTransition
from shared.domain.payment import Payment
from shared.domain.simulator import MAGIC_DISPUTE, OutcomeKind, decide_outcome, magic_outcome_key
from shared.domain.simulator import SimulationInput as Sim
from shared.domain.webhooks import DISPUTE_CLOSED, DISPUTE_CREATED

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
D = DisputeStatus


def payment() -> Payment:
    return Payment(
        id="pay_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX",
        merchant_id="mer_x",
        idempotency_key="k",
        fingerprint="f",
        amount=5000,
        currency="EUR",
        payment_method={"type": "card", "brand": "visa", "last4": "0259"},
        user_id="u",
        created_at=NOW,
        updated_at=NOW,
        max_attempts=3,
        amount_captured=4000,
    )


def opened() -> Dispute:
    return Dispute.opened(
        dispute_id="dp_01JDV6ZQ6Y4V9J2M7ZB3N8K1QY", payment=payment(), now=NOW, evidence_days=7
    )


def test_the_dispute_card_succeeds_and_is_remembered_as_a_dispute() -> None:
    key = magic_outcome_key({"card_number": "4000000000000259"})
    assert key == MAGIC_DISPUTE
    sim = Sim(idempotency_key="key_x", attempt=1, scenario=None, magic=key)
    assert decide_outcome(sim, [0, 100, 0]).kind == OutcomeKind.SUCCESS


def test_a_dispute_opens_on_the_captured_amount_and_owes_its_created_event() -> None:
    dispute = opened()
    assert (dispute.status, dispute.amount, dispute.currency) == (D.NEEDS_RESPONSE, 4000, "EUR")
    assert dispute.reason == "fraudulent" and dispute.payment_id == payment().id
    assert dispute.evidence_due_by == NOW + timedelta(days=7)
    assert dispute.fanout_pending and dispute.owed_event_types == (DISPUTE_CREATED,)
    move = dispute.last_move
    assert move is not None and move.from_status is None and move.to == D.NEEDS_RESPONSE
    assert move.event_id == dispute_event_id(dispute.id, 1) == f"evt_{dispute.id}_0001"


def test_evidence_puts_it_under_review_and_keeps_an_unsent_created_event_owed() -> None:
    later = NOW + timedelta(minutes=1)
    review = opened().evidence_submitted("winning_evidence: receipt", now=later)
    assert (review.status, review.evidence, review.version) == (
        D.UNDER_REVIEW,
        "winning_evidence: receipt",
        2,
    )
    assert review.fanout_pending and review.owed_event_types == (DISPUTE_CREATED,)
    assert review.closed_at is None and review.updated_at == later
    assert (
        not replace(opened(), fanout_pending=False)
        .evidence_submitted("x", now=later)
        .fanout_pending
    )


@pytest.mark.parametrize(
    ("evidence", "verdict"),
    [
        ("winning_evidence", D.WON),
        ("Signed receipt attached. winning_evidence\nthanks", D.WON),
        ("WINNING_EVIDENCE", D.LOST),  # the rule is exact, like a magic value
        ("a receipt", D.LOST),
        (None, D.LOST),
    ],
)
def test_the_decision_rule(evidence: str | None, verdict: DisputeStatus) -> None:
    assert decision(evidence) == verdict


def test_deciding_closes_it_and_owes_the_closed_event() -> None:
    review = opened().evidence_submitted("winning_evidence", now=NOW)
    won = review.decided(now=NOW + timedelta(seconds=5))
    assert (won.status, won.closed_at, won.version) == (D.WON, NOW + timedelta(seconds=5), 3)
    assert won.fanout_pending and won.owed_event_types == (DISPUTE_CREATED, DISPUTE_CLOSED)
    assert won.last_move is not None and won.last_move.from_status == D.UNDER_REVIEW
    lost = opened().evidence_submitted("nothing", now=NOW).decided(now=NOW)
    assert lost.status == D.LOST and lost.last_move is not None
    assert lost.last_move.reason == "evidence_rejected"


def test_accepting_loses_it_at_once() -> None:
    lost = opened().accepted(now=NOW)
    assert (lost.status, lost.is_closed, lost.evidence) == (D.LOST, True, None)
    assert lost.last_move is not None and lost.last_move.actor == "close_dispute"


def test_closed_disputes_and_answered_ones_refuse_the_wrong_moves() -> None:
    with pytest.raises(IllegalTransition):
        opened().decided(now=NOW)  # no evidence yet: nothing to decide
    review = opened().evidence_submitted("x", now=NOW)
    with pytest.raises(IllegalTransition):
        review.evidence_submitted("again", now=NOW)
    with pytest.raises(IllegalTransition):
        review.accepted(now=NOW)
    for closed in (review.decided(now=NOW), opened().accepted(now=NOW)):
        for move in (
            lambda d: d.evidence_submitted("x", now=NOW),
            lambda d: d.accepted(now=NOW),
            lambda d: d.decided(now=NOW),
        ):
            with pytest.raises(IllegalTransition):
                move(closed)


@given(st.lists(st.sampled_from(list(D)), max_size=6))
def test_any_walk_follows_the_machine_and_counts_versions(targets: list[DisputeStatus]) -> None:
    dispute = opened()
    for target in targets:
        allowed = target in DISPUTE_TRANSITIONS[dispute.status]
        try:
            moved = dispute.move(target, now=NOW, actor="test")
        except IllegalTransition:
            assert not allowed
            continue
        assert allowed and moved.version == dispute.version + 1
        assert moved.last_move is not None
        assert moved.last_move.event_id == dispute_event_id(dispute.id, moved.version)
        dispute = moved
    assert (dispute.closed_at is not None) == dispute.is_closed
