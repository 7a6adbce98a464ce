"""The stored-event invariants of a load run (DESIGN.md, "Events and webhook rehearsal"): every
settling move's event is in the `events` collection, and every webhook carried that event's
stored bytes.

An event is stored once per occurrence, before any delivery, even with no endpoint subscribed;
its id is derived from (object, generation, type, occurrence) and each delivery copies its
`event_id` and its `body` (`shared/services/webhook_fanout.py`). So, over the run's stored
events (`stored`, by id, each with its `body`):

- `event_missing`: a final object's settling event is not stored — a payment's final event
  and, if it was authorised in its current generation, `payment.requires_capture`; a final
  refund's `refund.succeeded` / `refund.failed`; a dispute's `dispute.created` and, once closed,
  `dispute.closed` — or a delivery names an event id that is not stored;
- `event_body_changed`: a delivery's body differs from its stored event's body, or two
  deliveries of one event id carry different bodies.

`payment.retrying` (one per attempt) is not held to this: no move of an object's end depends on
it. What a webhook attempt sent is the delivery's body (attempts record no body; what the
receiver took is compared with the delivery's body by `redelivery_body_changed`), so a body
that reached an endpoint is checked against the stored event through its delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from devstack.invariants_webhooks import object_events, payment_events
from devstack.violations import Check, generation
from shared.domain import ids

Doc = dict[str, Any]
FINAL = {"SUCCESS", "FAILED", "CANCELED"}


def event_id(object_id: str, event_generation: int, event_type: str, occurrence: int = 0) -> str:
    """The id an occurrence's event is stored under (as `webhook_fanout` derives it)."""
    return ids.derived_id(ids.EVENT, object_id, event_generation, event_type, occurrence)


def check_stored_events(
    check: Check,
    payments: Mapping[str, Doc],
    trails: Mapping[str, list[Doc]],
    refunds: Iterable[Doc],
    disputes: Iterable[Doc],
    deliveries: Mapping[str, list[Doc]],
    stored: Mapping[str, Doc],
) -> None:
    """`trails`: each payment's own moves; `deliveries` by payment id (bodies as stored, None
    when unknown); `stored`: the events of the run's payments by id."""
    refunds, disputes = list(refunds), list(disputes)
    for payment_id, payment in payments.items():
        if payment.get("status") not in FINAL:
            continue
        for event_type in payment_events(payment, trails.get(payment_id, [])):
            wanted = event_id(payment_id, generation(payment), event_type)
            if wanted not in stored:
                check.add(
                    "event_missing",
                    f"{event_type} of {payment_id} (generation {generation(payment)}) has no "
                    f"stored event {wanted}",
                    payment_id,
                )
    owners = {item["id"]: item.get("payment") for item in [*refunds, *disputes]}
    for object_id, expected in object_events(refunds, disputes).items():
        for event_type in expected:
            wanted = event_id(object_id, 1, event_type)
            if wanted not in stored:
                check.add(
                    "event_missing",
                    f"{event_type} of {object_id} has no stored event {wanted}",
                    owners.get(object_id),
                )
    _check_delivered_bodies(check, deliveries, stored)


def _check_delivered_bodies(
    check: Check, deliveries: Mapping[str, list[Doc]], stored: Mapping[str, Doc]
) -> None:
    bodies: dict[str, set[str]] = defaultdict(set)
    owner: dict[str, str] = {}
    for payment_id, items in deliveries.items():
        for delivery in items:
            evt = delivery.get("event_id")
            if not evt:
                continue
            event = stored.get(evt)
            if event is None:
                check.add(
                    "event_missing",
                    f"delivery {delivery.get('id')} of {delivery.get('event_type')} names "
                    f"{evt}, which is not stored",
                    payment_id,
                )
            body = delivery.get("body")
            if body is None:
                continue
            bodies[evt].add(body)
            owner.setdefault(evt, payment_id)
            if event is not None and event.get("body") != body:
                check.add(
                    "event_body_changed",
                    f"delivery {delivery.get('id')} sent other bytes than the stored {evt}",
                    payment_id,
                )
    for evt, seen in bodies.items():
        if len(seen) > 1:
            check.add(
                "event_body_changed",
                f"{len(seen)} different bodies among the deliveries of {evt}",
                owner[evt],
            )
