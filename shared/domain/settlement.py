"""Settlement reports: which UTC day, the fee, the S3 key and the CSV of one merchant's day.

A report lists the payments a merchant saw become final (SUCCESS, FAILED or CANCELED) during
one UTC day, oldest first, then one totals row per currency. Only SUCCESS payments settle, for
what was captured: a totals row's `amount` is the settled (gross) amount, its `fee` and `net`
what is kept and paid out.
Refunds that became final that day follow the payments, one row each (its `re_` id, the
amount as a negative number: money going back; `fee` 0 and `net` the same negative amount
when it SUCCEEDED, 0 when it FAILED), then one `REFUNDS` totals row per currency; the
payments' `TOTAL` rows keep their meaning, so a day's payout is TOTAL net + REFUNDS net.
Pure: no I/O, so the same payments always give the same bytes (a rerun overwrites the object
with identical content).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from shared.domain.clock import iso
from shared.domain.errors import InvalidRequest
from shared.domain.payment import Payment
from shared.domain.refund import Refund, RefundStatus
from shared.domain.states import FINAL_STATES, PaymentStatus

# How long a merchant's link to its report works.
PRESIGNED_URL_TTL_S = 15 * 60
DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BPS_DENOMINATOR = 10_000
TOTAL_ROW_ID = "TOTAL"
REFUNDS_ROW_ID = "REFUNDS"
FINAL_REFUND_STATUSES = (RefundStatus.FAILED.value, RefundStatus.SUCCEEDED.value)
BASE_COLUMNS = ("id", "amount", "currency", "status", "created_at", "finalized_at")
FEE_COLUMNS = ("fee", "net")
FINAL_STATUSES = tuple(sorted(status.value for status in FINAL_STATES))


def parse_day(text: str) -> date:
    """`YYYY-MM-DD` as a date, or InvalidRequest (400) naming the `date` parameter."""
    try:
        if not DAY_PATTERN.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            "date must be a calendar day written YYYY-MM-DD", param="date"
        ) from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the UTC day."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def previous_day(now: datetime) -> date:
    """The UTC day before `now` (what the nightly schedule reports on)."""
    return (now.astimezone(UTC) - timedelta(days=1)).date()


def fee_for(amount: int, fee_bps: int) -> int:
    """`fee_bps` basis points of `amount` in minor units, rounded half up."""
    return (amount * fee_bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR


def report_key(merchant_id: str, day: date) -> str:
    return f"settlements/{merchant_id}/{day.isoformat()}.csv"


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    gross: int = 0
    fee: int = 0
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.fee

    @property
    def status_summary(self) -> str:
        summary = f"SUCCESS={self.succeeded};FAILED={self.failed}"
        return summary + (f";CANCELED={self.canceled}" if self.canceled else "")

    def add(self, payment: Payment, fee: int) -> CurrencyTotals:
        if payment.status == PaymentStatus.SUCCESS:
            return replace(
                self,
                gross=self.gross + settled_amount(payment),
                fee=self.fee + fee,
                succeeded=self.succeeded + 1,
            )
        if payment.status == PaymentStatus.CANCELED:
            return replace(self, canceled=self.canceled + 1)
        return replace(self, failed=self.failed + 1)


def settled_amount(payment: Payment) -> int:
    """What a payment settles: what was captured (all of it unless captured manually in part)."""
    return payment.amount_captured if payment.status == PaymentStatus.SUCCESS else 0


def _payment_fee(payment: Payment, fee_bps: int) -> int:
    if payment.status != PaymentStatus.SUCCESS:
        return 0
    return fee_for(settled_amount(payment), fee_bps)


def totals_by_currency(payments: Iterable[Payment], fee_bps: int) -> list[CurrencyTotals]:
    totals: dict[str, CurrencyTotals] = {}
    for payment in payments:
        currency = payment.currency
        current = totals.get(currency) or CurrencyTotals(currency)
        totals[currency] = current.add(payment, _payment_fee(payment, fee_bps))
    return [totals[currency] for currency in sorted(totals)]


def _sort_key(payment: Payment) -> tuple[str, str]:
    return (iso(payment.finalized_at) or "", payment.id)


def _refund_rows(refunds: Iterable[Refund], with_fee: bool) -> list[list[object]]:
    """One row per final refund, oldest first, then a REFUNDS totals row per currency."""
    ordered = sorted(refunds, key=lambda r: (iso(r.finalized_at) or "", r.id))
    rows: list[list[object]] = []
    totals: dict[str, tuple[int, int, int]] = {}  # currency → (refunded, succeeded, failed)
    for refund in ordered:
        succeeded = refund.status == RefundStatus.SUCCEEDED
        settled = -refund.amount if succeeded else 0
        line: list[object] = [
            refund.id,
            -refund.amount,
            refund.currency,
            refund.status.value,
            iso(refund.created_at),
            iso(refund.finalized_at),
        ]
        rows.append(line + ([0, settled] if with_fee else []))
        total, ok, failed = totals.get(refund.currency, (0, 0, 0))
        totals[refund.currency] = (total + settled, ok + succeeded, failed + (not succeeded))
    for currency in sorted(totals):
        total, ok, failed = totals[currency]
        status = f"SUCCEEDED={ok};FAILED={failed}"
        line = [REFUNDS_ROW_ID, total, currency, status, "", ""]
        rows.append(line + ([0, total] if with_fee else []))
    return rows


def render_report(payments: Iterable[Payment], fee_bps: int, refunds: Iterable[Refund] = ()) -> str:
    """The CSV (RFC 4180, CRLF) of one merchant's final payments of one day, with totals.

    The `fee` and `net` columns are present only when a fee is configured (`fee_bps` > 0).
    """
    rows = sorted(payments, key=_sort_key)
    with_fee = fee_bps > 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BASE_COLUMNS + (FEE_COLUMNS if with_fee else ()))
    for payment in rows:
        fee = _payment_fee(payment, fee_bps)
        line: list[object] = [
            payment.id,
            payment.amount,
            payment.currency,
            payment.status.value,
            iso(payment.created_at),
            iso(payment.finalized_at),
        ]
        if with_fee:
            settled = settled_amount(payment)
            line += [fee, settled - fee]
        writer.writerow(line)
    for total in totals_by_currency(rows, fee_bps):
        status = total.status_summary
        line = [TOTAL_ROW_ID, total.gross, total.currency, status, "", ""]
        if with_fee:
            line += [total.fee, total.net]
        writer.writerow(line)
    writer.writerows(_refund_rows(refunds, with_fee))
    return out.getvalue()
