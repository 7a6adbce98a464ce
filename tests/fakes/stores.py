"""In-memory payment, dispute, webhook and merchant stores."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from typing import Any

from shared.domain.dispute import Dispute, DisputeStatus
from shared.domain.errors import DuplicatePayment
from shared.domain.payment import Payment, StoredResponse, Transition
from shared.domain.simulator_settings import Baseline, SimulatorSettings
from shared.domain.states import PaymentStatus, WebhookStatus

Doc = dict[str, Any]


class FakePayments:
    def __init__(self) -> None:
        self.rows: dict[str, Payment] = {}
        self.responses: dict[str, StoredResponse] = {}
        self.events: dict[str, Doc] = {}

    async def get(self, payment_id: str, merchant_id: str | None = None) -> Payment | None:
        found = self.rows.get(payment_id)
        if found is None or (merchant_id is not None and found.merchant_id != merchant_id):
            return None
        return found

    async def find_by_key(
        self, merchant_id: str, idempotency_key: str
    ) -> tuple[Payment, StoredResponse] | None:
        for payment in self.rows.values():
            if (payment.merchant_id, payment.idempotency_key) == (merchant_id, idempotency_key):
                return payment, self.responses[payment.id]
        return None

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        status: str | None = None,
        user_id: str | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> tuple[list[Payment], bool]:
        rows = sorted(
            (
                p
                for p in self.rows.values()
                if p.merchant_id == merchant_id
                and (status is None or p.status == status)
                and (user_id is None or p.user_id == user_id)
                and (starting_after is None or p.id < starting_after)
                and (ending_before is None or p.id > ending_before)
            ),
            key=lambda p: p.id,
            reverse=ending_before is None,
        )
        page = rows[:limit]
        return (list(reversed(page)) if ending_before else page), len(rows) > limit

    async def events_of(self, payment: Payment) -> list[Doc]:
        rows = {e["_id"]: e for e in self.events.values() if e["payment_id"] == payment.id}
        for row in _rows(payment, pending=True):
            rows.setdefault(row["_id"], row)
        return sorted(rows.values(), key=lambda e: str(e["_id"]))

    async def stale(
        self, *, unpublished_before: datetime, lease_expired_before: datetime, limit: int
    ) -> list[Payment]:
        S = PaymentStatus
        found = [
            p
            for p in self.rows.values()
            if (p.status == S.CREATED and (not p.published or p.created_at < unpublished_before))
            or (p.status == S.RETRYING and (not p.published or p.updated_at < unpublished_before))
            or (
                p.status == S.PROCESSING
                and p.lease_until is not None
                and p.lease_until < lease_expired_before
            )
        ]
        return found[:limit]

    async def expired_authorizations(self, *, before: datetime, limit: int) -> list[Payment]:
        due = [
            p
            for p in self.rows.values()
            if p.status == PaymentStatus.REQUIRES_CAPTURE
            and p.authorization_expires_at is not None
            and p.authorization_expires_at < before
        ]
        return due[:limit]

    async def fanout_pending(self, *, finalized_before: datetime, limit: int) -> list[Payment]:
        found = [
            p
            for p in self.rows.values()
            if p.fanout_pending and p.finalized_at is not None and p.finalized_at < finalized_before
        ]
        return found[:limit]

    async def insert(self, payment: Payment, response: StoredResponse) -> None:
        if await self.find_by_key(payment.merchant_id, payment.idempotency_key) is not None:
            raise DuplicatePayment(payment.idempotency_key)
        self.rows[payment.id] = payment
        self.responses[payment.id] = copy.deepcopy(response)

    async def mark_published(
        self, payment_id: str, published: bool, *, version: int | None = None
    ) -> bool:
        current = self.rows.get(payment_id)
        if current is None or (version is not None and current.version != version):
            return False
        self.rows[payment_id] = _replace(current, published=published)
        return True

    async def settle_webhook_status(self, payment: Payment, status: WebhookStatus) -> bool:
        current = self.rows.get(payment.id)
        read = (payment.generation, payment.webhook_status, payment.webhook_epoch)
        if (
            current is None
            or (
                current.generation,
                current.webhook_status,
                current.webhook_epoch,
            )
            != read
        ):
            return False
        self.rows[payment.id] = _replace(current, webhook_status=status)
        return True

    async def settle_lone_webhook_status(
        self, payment_id: str, generation: int, epoch: int, status: WebhookStatus
    ) -> bool:
        current = self.rows.get(payment_id)
        if current is None or (
            current.generation,
            current.webhook_status,
            current.webhook_epoch,
        ) != (generation, WebhookStatus.PENDING, epoch):
            return False
        self.rows[payment_id] = _replace(current, webhook_status=status)
        return True

    async def reopen_webhook_status(self, payment_id: str, generation: int) -> None:
        current = self.rows.get(payment_id)
        if current is not None and current.generation == generation:
            self.rows[payment_id] = _replace(
                current,
                webhook_status=WebhookStatus.PENDING,
                webhook_epoch=current.webhook_epoch + 1,
            )

    async def finish_fan_out(self, payment: Payment, *, skipped: bool) -> None:
        current = self.rows.get(payment.id)
        if current is not None and current.version == payment.version:
            status = WebhookStatus.SKIPPED if skipped else current.webhook_status
            self.rows[payment.id] = _replace(current, fanout_pending=False, webhook_status=status)

    async def save(self, before: Payment, after: Payment) -> Payment | None:
        stored = self.rows.get(before.id)
        if stored is None or (stored.status, stored.version) != (before.status, before.version):
            return None
        self.rows[before.id] = after
        # As the Mongo store: the rows of the moves before (a claim's waits for this one),
        # then this move's unless it is a claim.
        await self.ensure_event(before)
        await self.ensure_event(after)
        return after

    async def take_over_lease(
        self, before: Payment, after: Payment, now: datetime
    ) -> Payment | None:
        stored = self.rows.get(before.id)
        if stored is None or stored.lease_until is None or stored.lease_until >= now:
            return None
        return await self.save(before, after)

    async def attach_dispute(self, payment_id: str, dispute_id: str) -> None:
        current = self.rows.get(payment_id)
        if current is not None and current.dispute_id is None:
            self.rows[payment_id] = _replace(current, dispute_id=dispute_id)

    async def undisputed(
        self, *, magic: str, finalized_before: datetime, limit: int
    ) -> list[Payment]:
        found = [
            p
            for p in self.rows.values()
            if p.magic == magic
            and p.dispute_id is None
            and p.status == PaymentStatus.SUCCESS
            and p.finalized_at is not None
            and p.finalized_at < finalized_before
        ]
        return found[:limit]

    async def ensure_event(self, payment: Payment) -> None:
        for row in _rows(payment):
            self.events.setdefault(row["_id"], row)


def _rows(payment: Payment, *, pending: bool = False) -> list[Doc]:
    """The rows a write of this state owes, as the Mongo store writes them."""
    return [_row(payment, move) for move in payment.audited_moves(pending=pending)]


def _row(payment: Payment, move: Transition) -> Doc:
    """The audit row of one of the payment's moves."""
    return {
        "_id": move.event_id,
        "payment_id": payment.id,
        "merchant_id": payment.merchant_id,
        "from": move.from_status.value,
        "to": move.to.value,
        "at": move.at,
        "attempt": move.attempt,
        "generation": move.generation,
        "reason": move.reason,
        "actor": move.actor,
        "qstash_message_id": move.qstash_message_id,
    }


def _replace(payment: Payment, **changes: Any) -> Payment:
    from dataclasses import replace

    return replace(payment, **changes)


class FakeWebhooks:
    def __init__(self) -> None:
        self.endpoints: dict[str, Doc] = {}
        self.deliveries: dict[str, Doc] = {}
        self.attempts: dict[str, Doc] = {}
        self.events: dict[str, Doc] = {}

    async def insert_event(self, event: Doc) -> Doc:
        return copy.deepcopy(self.events.setdefault(event["_id"], copy.deepcopy(event)))

    async def event(self, event_id: str, merchant_id: str) -> Doc | None:
        found = self.events.get(event_id)
        return copy.deepcopy(found) if found and found["merchant_id"] == merchant_id else None

    async def events_page(
        self,
        merchant_id: str,
        *,
        limit: int,
        event_type: str | None = None,
        payment_id: str | None = None,
        before_key: str | None = None,
        from_key: str | None = None,
    ) -> tuple[list[Doc], bool]:
        found = [
            e
            for e in self.events.values()
            if e["merchant_id"] == merchant_id
            and event_type in (None, e["type"])
            and payment_id in (None, e["payment_id"])
            and (before_key is None or e["sort_key"] < before_key)
            and (from_key is None or e["sort_key"] >= from_key)
        ]
        found.sort(key=lambda e: e["sort_key"], reverse=True)
        return copy.deepcopy(found[:limit]), len(found) > limit

    async def count_outcome(self, endpoint_id: str, *, ok: bool) -> Doc | None:
        found = self.endpoints.get(endpoint_id)
        if found is None:
            return None
        if ok:
            found["consecutive_failures"] = 0
            return None
        found["consecutive_failures"] = found.get("consecutive_failures", 0) + 1
        return copy.deepcopy(found)

    async def disable_endpoint(self, endpoint_id: str, threshold: int, fields: Doc) -> Doc | None:
        found = self.endpoints.get(endpoint_id)
        if (
            found is None
            or found.get("status") != "enabled"
            or found.get("consecutive_failures", 0) < threshold
        ):
            return None
        found.update({"status": "disabled", **copy.deepcopy(fields)})
        return copy.deepcopy(found)

    async def deliveries_of_event(self, event_id: str, merchant_id: str) -> list[Doc]:
        found = [
            d
            for d in self.deliveries.values()
            if d["event_id"] == event_id and d["merchant_id"] == merchant_id
        ]
        return copy.deepcopy(sorted(found, key=lambda d: d["_id"]))

    async def failed_deliveries(
        self, endpoint_id: str, *, since: datetime, after_id: str | None, limit: int
    ) -> list[Doc]:
        found = [
            d
            for d in self.deliveries.values()
            if d["endpoint_id"] == endpoint_id
            and d["status"] == "FAILED"
            and d["created_at"] >= since
            and (after_id is None or d["_id"] > after_id)
        ]
        return copy.deepcopy(sorted(found, key=lambda d: d["_id"])[:limit])

    async def insert_endpoint(self, endpoint: Doc) -> None:
        self.endpoints.setdefault(endpoint["_id"], copy.deepcopy(endpoint))

    async def endpoint(self, endpoint_id: str, merchant_id: str | None = None) -> Doc | None:
        found = self.endpoints.get(endpoint_id)
        if found is None or found.get("deleted"):
            return None
        if merchant_id is not None and found["merchant_id"] != merchant_id:
            return None
        return copy.deepcopy(found)

    async def endpoints_of(self, merchant_id: str) -> list[Doc]:
        found = [
            e
            for e in self.endpoints.values()
            if e["merchant_id"] == merchant_id and not e.get("deleted")
        ]
        return copy.deepcopy(sorted(found, key=lambda e: e["_id"], reverse=True))

    async def update_endpoint(self, endpoint_id: str, merchant_id: str, fields: Doc) -> Doc | None:
        if await self.endpoint(endpoint_id, merchant_id) is None:
            return None
        self.endpoints[endpoint_id].update(copy.deepcopy(fields))
        return copy.deepcopy(self.endpoints[endpoint_id])

    async def insert_deliveries(self, deliveries: list[Doc]) -> None:
        for delivery in deliveries:
            self.deliveries.setdefault(delivery["_id"], copy.deepcopy(delivery))

    async def delivery(self, delivery_id: str, merchant_id: str | None = None) -> Doc | None:
        found = self.deliveries.get(delivery_id)
        if found is None or (merchant_id is not None and found["merchant_id"] != merchant_id):
            return None
        return copy.deepcopy(found)

    async def deliveries_of(self, payment_id: str) -> list[Doc]:
        found = [d for d in self.deliveries.values() if d["payment_id"] == payment_id]
        return copy.deepcopy(sorted(found, key=lambda d: d["_id"]))

    async def final_delivery_statuses(self, payment_id: str, generation: int) -> list[str]:
        return [
            d["status"]
            for d in self.deliveries.values()
            if d["payment_id"] == payment_id and d["generation"] == generation and d["final_event"]
        ]

    async def update_delivery(
        self, delivery_id: str, guard: Doc, fields: Doc, inc: Doc | None = None
    ) -> Doc | None:
        found = self.deliveries.get(delivery_id)
        if found is None or any(found.get(key) != value for key, value in guard.items()):
            return None
        found.update(copy.deepcopy(fields))
        for key, step in (inc or {}).items():
            found[key] = found.get(key, 0) + step
        return copy.deepcopy(found)

    async def mark_unpublished(self, delivery_ids: list[str]) -> None:
        for delivery_id in delivery_ids:
            found = self.deliveries.get(delivery_id)
            if found is not None and found["status"] == "PENDING":
                found["published"] = False

    async def stranded(self, *, unpublished_or_before: datetime, limit: int) -> list[Doc]:
        found = [
            d
            for d in self.deliveries.values()
            if d["status"] == "PENDING"
            and (d.get("published") is False or d["updated_at"] < unpublished_or_before)
        ]
        return copy.deepcopy(found[:limit])

    async def record_attempt(self, attempt: Doc) -> None:
        self.attempts.setdefault(attempt["_id"], copy.deepcopy(attempt))

    async def attempts_of(self, delivery_ids: list[str]) -> list[Doc]:
        found = [a for a in self.attempts.values() if a["delivery_id"] in delivery_ids]
        return copy.deepcopy(sorted(found, key=lambda a: a["_id"]))


class FakeMerchants:
    def __init__(self) -> None:
        self.rows: dict[str, Doc] = {}

    async def by_key_hash(self, api_key_hash: str) -> Doc | None:
        for merchant in self.rows.values():
            if merchant["api_key_hash"] == api_key_hash:
                return copy.deepcopy(merchant)
        return None

    async def insert_if_absent(self, merchant: Doc) -> None:
        self.rows.setdefault(merchant["_id"], copy.deepcopy(merchant))


class FakeDisputes:
    """Disputes, one per payment; their events go to the payments' trail (`events`)."""

    def __init__(self, events: dict[str, Doc]) -> None:
        self.rows: dict[str, Dispute] = {}
        self.events = events

    async def get(self, dispute_id: str, merchant_id: str | None = None) -> Dispute | None:
        found = self.rows.get(dispute_id)
        if found is None or (merchant_id is not None and found.merchant_id != merchant_id):
            return None
        return found

    async def of_payment(self, payment_id: str) -> Dispute | None:
        return next((d for d in self.rows.values() if d.payment_id == payment_id), None)

    async def page(
        self,
        merchant_id: str,
        *,
        limit: int,
        payment_id: str | None = None,
        status: str | None = None,
        starting_after: str | None = None,
    ) -> tuple[list[Dispute], bool]:
        rows = sorted(
            (
                d
                for d in self.rows.values()
                if d.merchant_id == merchant_id
                and (payment_id is None or d.payment_id == payment_id)
                and (status is None or d.status == status)
                and (starting_after is None or d.id < starting_after)
            ),
            key=lambda d: d.id,
            reverse=True,
        )
        return rows[:limit], len(rows) > limit

    async def insert(self, dispute: Dispute) -> Dispute:
        existing = await self.of_payment(dispute.payment_id)
        if existing is not None:
            return existing
        self.rows[dispute.id] = dispute
        await self.ensure_event(dispute)
        return dispute

    async def save(self, before: Dispute, after: Dispute) -> Dispute | None:
        stored = self.rows.get(before.id)
        if stored is None or (stored.status, stored.version) != (before.status, before.version):
            return None
        self.rows[before.id] = after
        await self.ensure_event(after)
        return after

    async def ensure_event(self, dispute: Dispute) -> None:
        move = dispute.last_move
        if move is None or move.event_id in self.events:
            return
        self.events[move.event_id] = {
            "_id": move.event_id,
            "payment_id": dispute.payment_id,
            "merchant_id": dispute.merchant_id,
            "object_type": "dispute",
            "object_id": dispute.id,
            "from": move.from_status.value if move.from_status else None,
            "to": move.to.value,
            "at": move.at,
            "actor": move.actor,
            "reason": move.reason,
        }

    async def finish_fan_out(self, dispute: Dispute) -> None:
        current = self.rows.get(dispute.id)
        if current is not None and current.version == dispute.version:
            self.rows[dispute.id] = _replace_dispute(current, fanout_pending=False)

    async def under_review(self, *, updated_before: datetime, limit: int) -> list[Dispute]:
        found = [
            d
            for d in self.rows.values()
            if d.status == DisputeStatus.UNDER_REVIEW and d.updated_at < updated_before
        ]
        return found[:limit]

    async def fanout_pending(self, *, updated_before: datetime, limit: int) -> list[Dispute]:
        found = [
            d for d in self.rows.values() if d.fanout_pending and d.updated_at < updated_before
        ]
        return found[:limit]


def _replace_dispute(dispute: Dispute, **changes: Any) -> Dispute:
    from dataclasses import replace

    return replace(dispute, **changes)


class FakeSimulator:
    """Merchants' simulator settings, kept as the domain objects."""

    def __init__(self) -> None:
        self.rows: dict[str, SimulatorSettings] = {}

    async def load(self, merchant_id: str, baseline: Baseline) -> SimulatorSettings | None:
        found = self.rows.get(merchant_id)
        return None if found is None else found.with_baseline(baseline)

    async def save(
        self,
        merchant_id: str,
        settings: SimulatorSettings | None,
        *,
        now: datetime,
        baseline: Baseline,
    ) -> SimulatorSettings:
        version = self.rows[merchant_id].version + 1 if merchant_id in self.rows else 1
        base = settings or SimulatorSettings.defaults(baseline)
        self.rows[merchant_id] = replace(base, version=version, updated_at=now, baseline=baseline)
        return self.rows[merchant_id]
