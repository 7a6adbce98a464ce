"""The refund state machine: PENDING → SUCCEEDED | FAILED, nothing else."""

from __future__ import annotations

import pytest

from shared.domain.clock import utcnow
from shared.domain.errors import IllegalTransition
from shared.domain.refund import NO_ROOM, Refund, RefundStatus, check_refund_move
from shared.domain.simulator import MAGIC_REFUND_FAILS, magic_outcome_key, refund_outcome

S = RefundStatus


def pending() -> Refund:
    now = utcnow()
    return Refund(
        id="re_1",
        merchant_id="mer_1",
        payment_id="pay_1",
        amount=100,
        currency="USD",
        idempotency_key="k",
        fingerprint="f",
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize("target", [S.SUCCEEDED, S.FAILED])
def test_pending_moves_once_to_a_final_state(target: RefundStatus) -> None:
    now = utcnow()
    refund = pending()
    moved = (
        refund.succeeded(now=now, actor="t", qstash_message_id="m")
        if target == S.SUCCEEDED
        else refund.failed(NO_ROOM, now=now, actor="t", qstash_message_id="m")
    )
    assert moved.status == target and moved.version == 1 and moved.is_final
    assert moved.fanout_pending and moved.finalized_at == now
    move = moved.last_transition
    assert move is not None and (move.from_status, move.to) == (S.PENDING, target)
    assert move.event_id == "evt_re_1_0001"
    for again in (S.PENDING, S.SUCCEEDED, S.FAILED):
        with pytest.raises(IllegalTransition):
            moved.move(again, now=now, actor="t")


def test_pending_cannot_stay_pending() -> None:
    with pytest.raises(IllegalTransition):
        check_refund_move(S.PENDING, S.PENDING)


def test_the_failing_card_fails_refunds_only() -> None:
    method = {"type": "card", "card_number": "4000000000005126"}
    assert magic_outcome_key(method) == MAGIC_REFUND_FAILS
    assert refund_outcome(MAGIC_REFUND_FAILS).code == "expired_or_canceled_card"
    assert refund_outcome("magic_success").code is None
    assert refund_outcome(None).code is None
