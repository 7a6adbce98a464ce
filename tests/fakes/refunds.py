"""An in-memory refund store, with the reservation bookkeeping on the fake payments."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shared.domain.errors import DuplicateRefund
from shared.domain.payment import StoredResponse
from shared.domain.refund import Refund, RefundStatus
from shared.domain.states import PaymentStatus
from tests.fakes.stores import FakePayments

Doc = dict[str, Any]


@dataclass
class Ledger:
    """What the real adapter keeps on the payment document."""

    reserved: int = 0
    refund_ids: list[str] = field(default_factory=list)
    settled_ids: list[str] = field(default_factory=list)
    refunded_ids: list[str] = field(default_factory=list)


class FakeRefunds:
    def __init__(self, payments: FakePayments) -> None:
        self.payments = payments
        self.rows: dict[str, Refund] = {}
        self.responses: dict[str, StoredResponse] = {}
        self.ledgers: dict[str, Ledger] = {}

    def ledger(self, payment_id: str) -> Ledger:
        return self.ledgers.setdefault(payment_id, Ledger())

    async def get(self, refund_id: str, merchant_id: str | None = None) -> Refund | None:
        found = self.rows.get(refund_id)
        if found is None or (merchant_id is not None and found.merchant_id != merchant_id):
            return None
        return found

    async def find_by_key(
        self, merchant_id: str, idempotency_key: str
    ) -> tuple[Refund, StoredResponse] | None:
        for refund in self.rows.values():
            if (refund.merchant_id, refund.idempotency_key) == (merchant_id, idempotency_key):
                return refund, self.responses[refund.id]
        return None

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        payment_id: str | None = None,
        status: str | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Refund], bool]:
        rows = sorted(
            (
                r
                for r in self.rows.values()
                if r.merchant_id == merchant_id
                and (payment_id is None or r.payment_id == payment_id)
                and (status is None or r.status == status)
                and (starting_after is None or r.id < starting_after)
            ),
            key=lambda r: r.id,
            reverse=True,
        )
        return rows[:limit], len(rows) > limit

    async def of_payment(self, payment_id: str) -> list[Refund]:
        return sorted(
            (r for r in self.rows.values() if r.payment_id == payment_id), key=lambda r: r.id
        )

    async def stale(self, *, unpublished_or_before: datetime, limit: int) -> list[Refund]:
        return [
            r
            for r in self.rows.values()
            if r.status == RefundStatus.PENDING
            and (not r.published or r.updated_at < unpublished_or_before)
        ][:limit]

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Refund]:
        return [
            r
            for r in self.rows.values()
            if r.fanout_pending and r.finalized_at is not None and r.finalized_at < finalized_before
        ][:limit]

    async def reserved_of(self, payment_id: str) -> int:
        return self.ledger(payment_id).reserved

    async def insert(self, refund: Refund, response: StoredResponse) -> None:
        if await self.find_by_key(refund.merchant_id, refund.idempotency_key) is not None:
            raise DuplicateRefund(refund.idempotency_key)
        self.rows[refund.id] = refund
        self.responses[refund.id] = response

    async def discard(self, refund: Refund) -> None:
        stored = self.rows.get(refund.id)
        if stored is not None and stored.status == RefundStatus.PENDING:
            del self.rows[refund.id]

    async def reserve(self, refund: Refund) -> bool:
        ledger = self.ledger(refund.payment_id)
        if refund.id in ledger.refund_ids:
            return True
        payment = self.payments.rows.get(refund.payment_id)
        if payment is None or payment.status != PaymentStatus.SUCCESS:
            return False
        if ledger.reserved + refund.amount > payment.amount_captured:
            return False
        ledger.reserved += refund.amount
        ledger.refund_ids.append(refund.id)
        return True

    async def settle(self, refund: Refund) -> RefundStatus | None:
        ledger = self.ledger(refund.payment_id)
        if refund.id not in ledger.refund_ids:
            return None
        if refund.id in ledger.settled_ids:
            won = refund.id in ledger.refunded_ids
            return RefundStatus.SUCCEEDED if won else RefundStatus.FAILED
        ledger.settled_ids.append(refund.id)
        if refund.status == RefundStatus.SUCCEEDED:
            ledger.refunded_ids.append(refund.id)
            payment = self.payments.rows[refund.payment_id]
            self.payments.rows[payment.id] = replace(
                payment, amount_refunded=payment.amount_refunded + refund.amount
            )
        else:
            ledger.reserved -= refund.amount
        return refund.status

    async def save(self, before: Refund, after: Refund) -> Refund | None:
        stored = self.rows.get(before.id)
        if stored is None or (stored.status, stored.version) != (before.status, before.version):
            return None
        self.rows[after.id] = after
        await self.ensure_event(after)
        return after

    async def ensure_event(self, refund: Refund) -> None:
        move = refund.last_transition
        if move is None or move.event_id in self.payments.events:
            return
        self.payments.events[move.event_id] = {
            "_id": move.event_id,
            "payment_id": refund.payment_id,
            "merchant_id": refund.merchant_id,
            "object_type": "refund",
            "object_id": refund.id,
            "from": move.from_status.value,
            "to": move.to.value,
            "at": move.at,
            "actor": move.actor,
            "reason": move.reason,
            "qstash_message_id": move.qstash_message_id,
        }

    async def mark_published(
        self, refund_id: str, published: bool, *, version: int | None = None
    ) -> bool:
        stored = self.rows.get(refund_id)
        if stored is None or (version is not None and stored.version != version):
            return False
        self.rows[refund_id] = replace(stored, published=published)
        return True

    async def touch(self, refund: Refund, now: datetime) -> None:
        stored = self.rows.get(refund.id)
        if stored is not None and stored.version == refund.version:
            self.rows[refund.id] = replace(stored, updated_at=now)

    async def finish_fan_out(self, refund: Refund) -> None:
        stored = self.rows.get(refund.id)
        if stored is not None and stored.version == refund.version:
            self.rows[refund.id] = replace(stored, fanout_pending=False)
