"""A payment as a MongoDB document and back: the only place that knows the stored shape.

Documents written by older versions may lack fields added since (`generation`, `version`…);
they read as the defaults a new payment starts with.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from shared.domain.payment import Failure, Payment, StoredResponse, Transition
from shared.domain.simulator import Simulate
from shared.domain.states import PaymentStatus, WebhookStatus

Doc = dict[str, Any]
FIELD_NAMES = tuple(f.name for f in fields(Payment))
NESTED = {
    "failure",
    "last_transition",
    "previous_transition",
    "simulate",
    "status",
    "webhook_status",
}


def failure_document(failure: Failure | None) -> Doc | None:
    if failure is None:
        return None
    return {"code": failure.code, "message": failure.message, "advice_code": failure.advice_code}


def transition_document(transition: Transition | None) -> Doc | None:
    return None if transition is None else _transition_fields(transition)


def _transition_fields(transition: Transition) -> Doc:
    return {
        "event_id": transition.event_id,
        "from": transition.from_status.value,
        "to": transition.to.value,
        "at": transition.at,
        "attempt": transition.attempt,
        "generation": transition.generation,
        "reason": transition.reason,
        "actor": transition.actor,
        "qstash_message_id": transition.qstash_message_id,
    }


def simulate_document(simulate: Simulate | None) -> Doc | None:
    if simulate is None:
        return None
    attempts = None if simulate.attempts is None else list(simulate.attempts)
    return {"attempts": attempts, "gateway_latency_ms": simulate.gateway_latency_ms}


def _simulate(doc: Doc | None) -> Simulate | None:
    if not doc:
        return None
    attempts = doc.get("attempts")
    return Simulate(
        attempts=None if attempts is None else tuple(str(a) for a in attempts),
        gateway_latency_ms=doc.get("gateway_latency_ms"),
    )


def field_value(name: str, value: Any) -> Any:
    """One attribute of a Payment as it is stored."""
    if name == "simulate":
        return simulate_document(value)
    if name == "failure":
        return failure_document(value)
    if name in ("last_transition", "previous_transition"):
        return transition_document(value)
    if name in ("status", "webhook_status"):
        return value.value
    return value


def to_document(payment: Payment) -> Doc:
    doc: Doc = {"_id": payment.id}
    for name in FIELD_NAMES:
        if name != "id":
            doc[name] = field_value(name, getattr(payment, name))
    return doc


# Written out of band (delivery settles, the fan-out's end) without a new version, so a move's
# `before` may hold stale values of them; a move that starts a new event's webhooks (a new
# epoch) writes them whatever `before` said. (The epoch itself: see `move_update`.)
WEBHOOK_RESET_FIELDS = ("webhook_status", "fanout_pending")


def changed_fields(before: Payment, after: Payment) -> Doc:
    """The stored fields a move from `before` to `after` writes (for a `$set`): those that
    differ, and every webhook field when the move starts a new webhook epoch."""
    reset = before.webhook_epoch != after.webhook_epoch
    return {
        name: field_value(name, getattr(after, name))
        for name in FIELD_NAMES
        if name != "id"
        and (
            getattr(before, name) != getattr(after, name)
            or (reset and name in WEBHOOK_RESET_FIELDS)
        )
    }


def move_update(before: Payment, after: Payment) -> Doc:
    """The update a move writes: its changed fields, and a new webhook epoch as `$inc`. A
    redelivery bumps the stored epoch out of band (`reopen_webhook_status`), so `before`'s may
    be stale; counting up from the stored one keeps the new event's epoch unlike any other."""
    fields = changed_fields(before, after)
    if after.webhook_epoch != before.webhook_epoch + 1:
        return {"$set": fields}  # the same epoch, or a new generation's reset to 0
    del fields["webhook_epoch"]
    return {"$set": fields, "$inc": {"webhook_epoch": 1}}


def _failure(doc: Doc | None) -> Failure | None:
    if not doc:
        return None
    return Failure(str(doc.get("code")), str(doc.get("message")), doc.get("advice_code"))


def _transition(doc: Doc | None) -> Transition | None:
    if not doc:
        return None
    return Transition(
        event_id=doc["event_id"],
        from_status=PaymentStatus(doc["from"]),
        to=PaymentStatus(doc["to"]),
        at=doc["at"],
        attempt=int(doc.get("attempt") or 0),
        generation=int(doc.get("generation") or 1),
        actor=str(doc.get("actor")),
        reason=doc.get("reason"),
        qstash_message_id=doc.get("qstash_message_id"),
    )


def from_document(doc: Doc) -> Payment:
    """Fields the document lacks take the Payment's defaults (a SUCCESS payment stored before
    manual capture existed captured its whole amount)."""
    values = {name: doc[name] for name in FIELD_NAMES if name in doc and name not in NESTED}
    if "amount_captured" not in doc and doc.get("status") == PaymentStatus.SUCCESS.value:
        values["amount_captured"] = doc["amount"]
    return Payment(
        id=doc["_id"],
        **values,
        status=PaymentStatus(doc["status"]),
        webhook_status=WebhookStatus(doc.get("webhook_status") or WebhookStatus.PENDING),
        failure=_failure(doc.get("failure")),
        last_transition=_transition(doc.get("last_transition")),
        previous_transition=_transition(doc.get("previous_transition")),
        simulate=_simulate(doc.get("simulate")),
    )


def response_of(doc: Doc) -> StoredResponse:
    stored = doc["response"]
    return StoredResponse(int(stored["status_code"]), dict(stored["body"]))


def event_document(payment: Payment, transition: Transition) -> Doc:
    """The audit row (`payment_events`) of one of the payment's moves."""
    stored = _transition_fields(transition)
    return {
        "_id": stored.pop("event_id"),
        "payment_id": payment.id,
        "merchant_id": payment.merchant_id,
        **stored,
    }


def audit_rows(payment: Payment, *, pending: bool = False) -> list[Doc]:
    """The rows a write of this state owes (`Payment.audited_moves`)."""
    return [event_document(payment, move) for move in payment.audited_moves(pending=pending)]
