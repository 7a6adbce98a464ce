"""A settlement report settles what was captured, and counts canceled payments apart."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime

from shared.domain.payment import Payment
from shared.domain.requests import PaymentCreate
from shared.domain.settlement import render_report
from shared.domain.states import PaymentStatus

AT = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


def payment(n: int, status: PaymentStatus, amount: int, captured: int) -> Payment:
    request = PaymentCreate.model_validate(
        {
            "amount": amount,
            "currency": "USD",
            "payment_method": {"type": "card"},
            "user_id": "u",
            "capture_method": "manual",
        }
    )
    created = Payment.create(
        payment_id=f"pay_{n:026d}",
        merchant_id="mer_1",
        idempotency_key=f"k{n}",
        fingerprint="f",
        request=request,
        max_attempts=3,
        now=AT,
    )
    return replace(created, status=status, amount_captured=captured, finalized_at=AT)


def test_a_partial_capture_settles_its_captured_amount_and_cancels_are_counted() -> None:
    rows = list(
        csv.reader(
            io.StringIO(
                render_report(
                    [
                        payment(1, PaymentStatus.SUCCESS, 1000, 600),
                        payment(2, PaymentStatus.CANCELED, 500, 0),
                        payment(3, PaymentStatus.FAILED, 200, 0),
                    ],
                    fee_bps=100,
                )
            )
        )
    )
    assert rows[1][0] == "pay_" + "1".zfill(26) and rows[1][-2:] == ["6", "594"]
    assert rows[2][3] == "CANCELED" and rows[2][-2:] == ["0", "0"]
    assert rows[-1] == ["TOTAL", "600", "USD", "SUCCESS=1;FAILED=1;CANCELED=1", "", "", "6", "594"]
