"""A refund as a MongoDB document and back, and its audit event (in `payment_events`)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from shared.adapters.payment_documents import failure_document
from shared.domain.payment import Failure, StoredResponse
from shared.domain.refund import Refund, RefundStatus, RefundTransition

Doc = dict[str, Any]
FIELD_NAMES = tuple(f.name for f in fields(Refund))
NESTED = {"failure", "last_transition", "status"}


def transition_document(transition: RefundTransition | None) -> Doc | None:
    if transition is None:
        return None
    return {
        "event_id": transition.event_id,
        "from": transition.from_status.value,
        "to": transition.to.value,
        "at": transition.at,
        "actor": transition.actor,
        "reason": transition.reason,
        "qstash_message_id": transition.qstash_message_id,
    }


def field_value(name: str, value: Any) -> Any:
    if name == "failure":
        return failure_document(value)
    if name == "last_transition":
        return transition_document(value)
    if name == "status":
        return value.value
    return value


def to_document(refund: Refund, response: StoredResponse) -> Doc:
    doc: Doc = {"_id": refund.id}
    for name in FIELD_NAMES:
        if name != "id":
            doc[name] = field_value(name, getattr(refund, name))
    doc["response"] = {"status_code": response.status_code, "body": response.body}
    return doc


def changed_fields(before: Refund, after: Refund) -> Doc:
    return {
        name: field_value(name, getattr(after, name))
        for name in FIELD_NAMES
        if name != "id" and getattr(before, name) != getattr(after, name)
    }


def _transition(doc: Doc | None) -> RefundTransition | None:
    if not doc:
        return None
    return RefundTransition(
        event_id=doc["event_id"],
        from_status=RefundStatus(doc["from"]),
        to=RefundStatus(doc["to"]),
        at=doc["at"],
        actor=str(doc.get("actor")),
        reason=doc.get("reason"),
        qstash_message_id=doc.get("qstash_message_id"),
    )


def from_document(doc: Doc) -> Refund:
    values = {name: doc[name] for name in FIELD_NAMES if name in doc and name not in NESTED}
    failure = doc.get("failure")
    return Refund(
        id=doc["_id"],
        **values,
        status=RefundStatus(doc["status"]),
        failure=Failure(str(failure["code"]), str(failure["message"]), failure.get("advice_code"))
        if failure
        else None,
        last_transition=_transition(doc.get("last_transition")),
    )


def response_of(doc: Doc) -> StoredResponse:
    stored = doc["response"]
    return StoredResponse(int(stored["status_code"]), dict(stored["body"]))


def event_document(refund: Refund) -> Doc | None:
    """The audit event of the refund's last move, on its payment's timeline."""
    transition = transition_document(refund.last_transition)
    if transition is None:
        return None
    return {
        "_id": transition.pop("event_id"),
        "payment_id": refund.payment_id,
        "merchant_id": refund.merchant_id,
        "object_type": "refund",
        "object_id": refund.id,
        **transition,
    }
