"""Fabricated load runs for the invariant checker's tests: consistent until a test breaks one
thing. `Run` has three payments (success, timeout, flaky) and a duplicate request; `MoneyRun`
adds a partial capture, a cancel, refunds (one payment on the card whose refunds fail) and a
won dispute, with every event delivered once to the receiver."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.invariants import SentPayment, Violation, check_invariants
from devstack.load_records import (
    CANCEL_LATE,
    CAPTURE_PARTIAL,
    DISPUTE_WIN,
    MoneyPlan,
    SentRefund,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
Doc = dict[str, Any]


def trail_of(payment_id: str, moves: list[tuple[str, str, int]]) -> list[Doc]:
    return [
        {
            "id": f"evt_{payment_id}_{version:04d}",
            "from": source,
            "to": target,
            "attempt": attempt,
            "generation": 1,
            "at": T0 + timedelta(milliseconds=version),
        }
        for version, (source, target, attempt) in enumerate(moves, start=1)
    ]


def event_body(payment_id: str, event_type: str) -> str:
    return json.dumps({"type": event_type, "data": {"id": payment_id}}, separators=(",", ":"))


def sha(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


class Run:
    """A fabricated, consistent run of three payments and one duplicate request."""

    MOVES = {
        "success": [("CREATED", "PROCESSING", 1), ("PROCESSING", "SUCCESS", 1)],
        "timeout": [
            ("CREATED", "PROCESSING", 1),
            ("PROCESSING", "RETRYING", 1),
            ("RETRYING", "PROCESSING", 2),
            ("PROCESSING", "RETRYING", 2),
            ("RETRYING", "PROCESSING", 3),
            ("PROCESSING", "FAILED", 3),
        ],
        "flaky": [
            ("CREATED", "PROCESSING", 1),
            ("PROCESSING", "RETRYING", 1),
            ("RETRYING", "PROCESSING", 2),
            ("PROCESSING", "SUCCESS", 2),
        ],
    }

    def __init__(self) -> None:
        self.sent: list[SentPayment] = []
        self.payments: dict[str, Doc] = {}
        self.events: dict[str, list[Doc]] = {}
        self.deliveries: dict[str, list[Doc]] = {}
        self.receiver: list[Doc] = []
        for kind, moves in self.MOVES.items():
            pid = f"pay_{kind}"
            status = moves[-1][1]
            attempts = moves[-1][2]
            self.sent.append(SentPayment(f"key-{kind}", kind, {}, accepted=True, payment_id=pid))
            self.payments[pid] = {
                "id": pid,
                "idempotency_key": f"key-{kind}",
                "status": status,
                "attempts": attempts,
                "max_attempts": 3,
                "retry_count": attempts - 1,
                "generation": 1,
                "failure": {"code": "timeout"} if status == "FAILED" else None,
                "webhook_status": "SUCCESS",
            }
            self.events[pid] = trail_of(pid, moves)
            event_type = "payment.succeeded" if status == "SUCCESS" else "payment.failed"
            body = event_body(pid, event_type)
            self.deliveries[pid] = [
                {
                    "id": f"whd_{kind}",
                    "event_id": f"msg_{kind}",
                    "event_type": event_type,
                    "status": "SUCCESS",
                    "generation": 1,
                    "body": body,
                }
            ]
            self.receiver.append(
                {
                    "webhook_id": f"msg_{kind}",
                    "payment_id": pid,
                    "valid_signature": True,
                    "status_code": 200,
                    "body_sha256": sha(body),
                }
            )
        self.sent.append(
            SentPayment(
                "key-success",
                "success",
                {},
                duplicate_of="key-success",
                accepted=True,
                payment_id="pay_success",
                replayed=True,
            )
        )

    def check(self, **kwargs: Any) -> list[Violation]:
        return check_invariants(
            self.sent, self.payments, self.events, self.deliveries, self.receiver, **kwargs
        )


def object_trail(object_id: str, moves: list[tuple[str | None, str]]) -> list[Doc]:
    """A refund's or dispute's moves (a `None` source: its creation)."""
    return [
        {
            "id": f"evt_{object_id}_{n:04d}",
            "object_type": "refund" if object_id.startswith("re_") else "dispute",
            "object_id": object_id,
            "from": source,
            "to": target,
            "at": T0 + timedelta(seconds=n),
        }
        for n, (source, target) in enumerate(moves, start=1)
    ]


class MoneyRun(Run):
    """`Run` plus money movements, each event delivered once and taken by the receiver:

    - `pay_manual`: authorised, captured 750 of 1000 (asked for 750), then refunded 300
      (SUCCEEDED) and 200 (SUCCEEDED), the first key replayed, a request over the limit refused;
    - `pay_canceled`: authorised, then canceled (nothing captured);
    - `pay_failcard`: on card …5126, captured whole, one refund FAILED;
    - `pay_disputed`: on card …0259, its dispute won with winning evidence.
    """

    AUTHORISED = [
        ("CREATED", "PROCESSING", 1),
        ("PROCESSING", "REQUIRES_CAPTURE", 1),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.refunds: dict[str, Doc] = {}
        self.disputes: dict[str, Doc] = {}
        self.object_trails: dict[str, list[Doc]] = {}
        self.api_refunds: dict[str, Doc] = {}
        manual = MoneyPlan(capture=CAPTURE_PARTIAL, refunds=2, capture_amount=750, done=True)
        self._payment(
            "pay_manual",
            [*self.AUTHORISED, ("REQUIRES_CAPTURE", "SUCCESS", 1)],
            manual,
            captured=750,
            refunded=500,
            events=["payment.requires_capture", "payment.succeeded"],
        )
        self._payment(
            "pay_canceled",
            [*self.AUTHORISED, ("REQUIRES_CAPTURE", "CANCELED", 1)],
            MoneyPlan(cancel=CANCEL_LATE, canceled=True, done=True),
            captured=0,
            events=["payment.requires_capture", "payment.canceled"],
        )
        self._payment(
            "pay_failcard",
            self.MOVES["success"],
            MoneyPlan(refunds=1, done=True),
            captured=1000,
            last4="5126",
            kind="refund_fails",
            events=["payment.succeeded"],
        )
        self._payment(
            "pay_disputed",
            self.MOVES["success"],
            MoneyPlan(dispute=DISPUTE_WIN, dispute_id="dp_1", done=True),
            captured=1000,
            last4="0259",
            kind="disputed",
            events=["payment.succeeded"],
        )
        for n, (amount, status) in enumerate([(300, "SUCCEEDED"), (200, "SUCCEEDED")]):
            self.refund("pay_manual", f"re_m{n}", f"key-pay_manual-re{n}", amount, status)
        self.plan("pay_manual").sent_refunds.append(
            SentRefund(
                "key-pay_manual-re0",
                "pay_manual",
                300,
                replay_of="key-pay_manual-re0",
                accepted=True,
                refund_id="re_m0",
                replayed=True,
            )
        )
        self.plan("pay_manual").sent_refunds.append(
            SentRefund(
                "key-pay_manual-over",
                "pay_manual",
                251,
                over_limit=True,
                status_code=400,
                error="rejected",
                error_code="amount_too_large",
            )
        )
        self.refund("pay_failcard", "re_f0", "key-pay_failcard-re0", 400, "FAILED")
        self.dispute("pay_disputed", "dp_1", "WON", "winning_evidence: signed receipt")

    def plan(self, payment_id: str) -> MoneyPlan:
        plan = next(s.money for s in self.sent if s.payment_id == payment_id and s.money)
        assert plan is not None
        return plan

    def _payment(
        self,
        pid: str,
        moves: list[tuple[str, str, int]],
        plan: MoneyPlan,
        *,
        captured: int,
        events: list[str],
        refunded: int = 0,
        last4: str = "4242",
        kind: str = "success",
    ) -> None:
        key = f"key-{pid}"
        self.sent.append(SentPayment(key, kind, {}, accepted=True, payment_id=pid, money=plan))
        self.payments[pid] = {
            "id": pid,
            "idempotency_key": key,
            "status": moves[-1][1],
            "attempts": 1,
            "max_attempts": 3,
            "retry_count": 0,
            "generation": 1,
            "failure": None,
            "webhook_status": "SUCCESS",
            "amount": 1000,
            "amount_captured": captured,
            "amount_refunded": refunded,
            "capture_method": "manual" if plan.manual else "automatic",
            "payment_method": {"type": "card", "brand": "visa", "last4": last4},
        }
        self.events[pid] = trail_of(pid, moves)
        self.deliveries[pid] = []
        for event_type in events:
            self.deliver(pid, pid, event_type)

    def deliver(self, pid: str, object_id: str, event_type: str, endpoint: str = "we_1") -> Doc:
        """A delivery of `event_type` about `object_id`, taken by the receiver."""
        event_id = f"msg_{object_id}_{event_type}_{endpoint}"
        body = event_body(object_id, event_type)
        delivery = {
            "id": f"whd_{object_id}_{event_type}_{endpoint}",
            "event_id": event_id,
            "event_type": event_type,
            "object_id": object_id,
            "endpoint_id": endpoint,
            "status": "SUCCESS",
            "generation": 1,
            "body": body,
        }
        self.deliveries[pid].append(delivery)
        self.receiver.append(
            {
                "webhook_id": event_id,
                "payment_id": pid,
                "object_id": object_id,
                "event_type": event_type,
                "valid_signature": True,
                "status_code": 200,
                "body_sha256": sha(body),
            }
        )
        return delivery

    def undeliver(self, pid: str, event_type: str, object_id: str | None = None) -> None:
        """Forget that `event_type` (of `object_id`, default any) was ever sent for `pid`."""
        gone = [
            d
            for d in self.deliveries[pid]
            if d["event_type"] == event_type and object_id in (None, d["object_id"])
        ]
        ids = {d["event_id"] for d in gone}
        self.deliveries[pid] = [d for d in self.deliveries[pid] if d not in gone]
        self.receiver = [r for r in self.receiver if r["webhook_id"] not in ids]

    def refund(self, pid: str, refund_id: str, key: str, amount: int, status: str) -> None:
        self.refunds[refund_id] = {
            "id": refund_id,
            "payment": pid,
            "amount": amount,
            "status": status,
            "idempotency_key": key,
        }
        self.api_refunds[refund_id] = dict(self.refunds[refund_id])
        self.object_trails[refund_id] = object_trail(
            refund_id, [(None, "PENDING"), ("PENDING", status)]
        )
        self.plan(pid).sent_refunds.append(
            SentRefund(key, pid, amount, accepted=True, status_code=201, refund_id=refund_id)
        )
        self.deliver(pid, refund_id, f"refund.{status.lower()}")

    def dispute(self, pid: str, dispute_id: str, status: str, evidence: str | None) -> None:
        self.disputes[dispute_id] = {
            "id": dispute_id,
            "payment": pid,
            "status": status,
            "evidence": evidence,
        }
        moves: list[tuple[str | None, str]] = [(None, "NEEDS_RESPONSE")]
        if evidence is not None:
            moves += [("NEEDS_RESPONSE", "UNDER_REVIEW"), ("UNDER_REVIEW", status)]
        else:
            moves += [("NEEDS_RESPONSE", status)]
        self.object_trails[dispute_id] = object_trail(dispute_id, moves)
        self.plan(pid).evidence = evidence
        self.deliver(pid, dispute_id, "dispute.created")
        self.deliver(pid, dispute_id, "dispute.closed")

    def check(self, **kwargs: Any) -> list[Violation]:
        return check_invariants(
            self.sent,
            self.payments,
            self.events,
            self.deliveries,
            self.receiver,
            refunds=self.refunds,
            disputes=self.disputes,
            object_trails=self.object_trails,
            **kwargs,
        )
