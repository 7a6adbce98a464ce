"""One shape per collected document, whether it was read from Mongo or from the public API.

Field names as stored by `shared/adapters/*` (payments, `payment_events`,
`webhook_deliveries`, `refunds`, `disputes`) and as the public models show them
(`shared/services/views.py`): an event says what moved (`object_type` payment, refund or
dispute, and `object_id`), a delivery which object its event is about (`object_id`).
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]
PAYMENT_FINAL = ("SUCCESS", "FAILED", "CANCELED")
REFUND_FINAL = ("SUCCEEDED", "FAILED")
DISPUTE_FINAL = ("WON", "LOST")


def _id(doc: Doc) -> Any:
    return doc.get("_id", doc.get("id"))


def event(doc: Doc) -> Doc:
    fields = ("from", "to", "at", "attempt", "generation", "reason", "actor")
    object_type = doc.get("object_type") or "payment"
    object_id = doc.get("object_id") or (
        doc.get("payment_id") if object_type == "payment" else None
    )
    return {
        "id": _id(doc),
        "object_type": object_type,
        "object_id": object_id,
        **{name: doc.get(name) for name in fields},
    }


def delivery(doc: Doc) -> Doc:
    fields = (
        "event_id",
        "event_type",
        "status",
        "generation",
        "attempt_count",
        "final_event",
        "endpoint_id",
        "endpoint_url",
    )
    return {
        "id": _id(doc),
        "body": doc.get("body"),
        "object_id": doc.get("object_id") or doc.get("payment_id"),
        **{name: doc.get(name) for name in fields},
    }


def payment(doc: Doc) -> Doc:
    return {**doc, "id": _id(doc)}


def refund(doc: Doc) -> Doc:
    fields = ("amount", "currency", "status", "failure", "idempotency_key", "reason")
    return {
        "id": _id(doc),
        "payment": doc.get("payment_id", doc.get("payment")),
        **{name: doc.get(name) for name in fields},
    }


def evidence_text(value: Any) -> str | None:
    """A dispute's evidence, stored as text or as `{"text": …}`."""
    if isinstance(value, dict):
        value = value.get("text")
    return value if isinstance(value, str) else None


def dispute(doc: Doc) -> Doc:
    return {
        "id": _id(doc),
        "payment": doc.get("payment_id", doc.get("payment")),
        "status": doc.get("status"),
        "amount": doc.get("amount"),
        "evidence": evidence_text(doc.get("evidence")),
    }
