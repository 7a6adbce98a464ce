"""Which audit rows a write of a payment's state owes: its last two moves, a claim's own row
left to the move that ends the attempt (the repository writes them in one insert)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.domain.payment import Payment
from shared.domain.requests import PaymentCreate
from shared.domain.states import PaymentStatus as S

AT = datetime(2031, 1, 1, tzinfo=UTC)


def _created() -> Payment:
    request = PaymentCreate.model_validate(
        {"amount": 100, "currency": "USD", "payment_method": {"type": "card"}, "user_id": "u"}
    )
    return Payment.create(
        payment_id="pay_" + "0" * 26,
        merchant_id="mer_1",
        idempotency_key="k",
        fingerprint="f",
        request=request,
        max_attempts=3,
        now=AT,
    )


def _moves(payment: Payment, *, pending: bool = False) -> list[tuple[str, str]]:
    return [(m.from_status.value, m.to.value) for m in payment.audited_moves(pending=pending)]


def test_a_claims_row_waits_and_rides_with_the_next_moves() -> None:
    created = _created()
    assert _moves(created) == []
    claimed = created.move(S.PROCESSING, now=AT, actor="t", attempts=1)
    assert _moves(claimed) == []
    assert _moves(claimed, pending=True) == [("CREATED", "PROCESSING")]
    retrying = claimed.move(S.RETRYING, now=AT, actor="t")
    assert _moves(retrying) == [("CREATED", "PROCESSING"), ("PROCESSING", "RETRYING")]
    again = retrying.move(S.PROCESSING, now=AT, actor="t", attempts=2)
    # The move before the new claim is still owed (a crash may have lost its insert).
    assert _moves(again) == [("PROCESSING", "RETRYING")]
    settled = again.move(S.SUCCESS, now=AT, actor="t")
    assert _moves(settled) == [("RETRYING", "PROCESSING"), ("PROCESSING", "SUCCESS")]
