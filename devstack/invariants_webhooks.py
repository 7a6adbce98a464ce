"""The webhook invariants of a load run: every final object's events delivered exactly once
per subscribed endpoint, with the same bytes every time.

The events an object must have sent: a payment its final event (`payment.succeeded`,
`payment.failed`, `payment.canceled`) and, if it was authorised in its current generation,
`payment.requires_capture`; a final refund `refund.succeeded` or `refund.failed`; a dispute
`dispute.created`, and `dispute.closed` once closed. Rules:

- `webhook_missing`: an expected event has no delivery for one of the endpoints subscribed to
  it, or a delivery marked SUCCESS the receiver never took;
- `webhook_duplicated`: two deliveries of one object's event to one endpoint, or the receiver
  took two distinct webhook ids for one object, event and endpoint (the same id arriving
  again is a redelivery, and counts once);
- `webhook_unrecorded`: the receiver took a webhook id that no delivery records (so a second
  id for an event could not be told apart);
- `webhook_unexpected`: a delivery of an event the object's end does not send;
- `webhook_not_settled`: a delivery still PENDING;
- `webhook_status_mismatch`: the payment's `webhook_status` disagrees with its latest
  settling event's deliveries;
- `invalid_signature`, `redelivery_body_changed`: the receiver saw a bad signature, or a webhook
  id whose bytes differ between receptions or from the stored body. Under the simulator's
  `webhooks.bad_signature_rate` a webhook id's FIRST arrival may carry a bad signature, if the
  receiver refused it and a correctly signed arrival followed; any other bad one still counts.

The simulator's other dials need no exception: a dropped first attempt never reaches the
receiver, a duplicate is the same webhook id again (counted once), a delay only reorders.

A webhook id is one event, the same at every endpoint, so arrivals are told apart by
(webhook id, endpoint): the receiver files each under the `?endpoint=` of the URL it was sent
to, and a delivery names that URL (`endpoint_url`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devstack.violations import Check, generation

Doc = dict[str, Any]
Endpoints = int | Mapping[str, int] | None  # subscribed endpoints (per event type); None: ≥ 1
PAYMENT_EVENTS = {
    "SUCCESS": "payment.succeeded",
    "FAILED": "payment.failed",
    "CANCELED": "payment.canceled",
}
REQUIRES_CAPTURE_EVENT = "payment.requires_capture"
REFUND_EVENTS = {"SUCCEEDED": "refund.succeeded", "FAILED": "refund.failed"}
DISPUTE_CREATED, DISPUTE_CLOSED = "dispute.created", "dispute.closed"
NOT_CHECKED = {"payment.retrying"}  # one per attempt, not an object's end


def subscribed(endpoints: Endpoints, event_type: str) -> int | None:
    if endpoints is None or isinstance(endpoints, int):
        return endpoints
    return endpoints.get(event_type, 0)


def payment_events(payment: Doc, trail: list[Doc]) -> list[str]:
    """The events a final payment sent in its current generation, the latest last."""
    current = generation(payment)
    authorised = any(e.get("to") == "REQUIRES_CAPTURE" and generation(e) == current for e in trail)
    final = PAYMENT_EVENTS.get(str(payment.get("status")))
    return [REQUIRES_CAPTURE_EVENT] * authorised + ([final] if final else [])


def object_events(refunds: Iterable[Doc], disputes: Iterable[Doc]) -> dict[str, list[str]]:
    """The events each final refund and each dispute sent, by object id."""
    expected: dict[str, list[str]] = {}
    for refund in refunds:
        event = REFUND_EVENTS.get(str(refund.get("status")))
        if event:
            expected[refund["id"]] = [event]
    for dispute in disputes:
        closed = dispute.get("status") in ("WON", "LOST")
        expected[dispute["id"]] = [DISPUTE_CREATED] + [DISPUTE_CLOSED] * closed
    return expected


def check_object_webhooks(
    check: Check,
    payment_id: str,
    object_id: str,
    expected: list[str],
    deliveries: list[Doc],
    endpoints: Endpoints,
    current_generation: int | None = None,
) -> None:
    """One object's deliveries (`current_generation`: a payment's, whose earlier generations'
    deliveries are not held to its present end)."""
    mine = [
        d
        for d in deliveries
        if (d.get("object_id") or payment_id) == object_id
        and d.get("event_type") not in NOT_CHECKED
        and (current_generation is None or generation(d) == current_generation)
    ]
    for delivery in mine:
        if delivery.get("event_type") not in expected:
            check.add(
                "webhook_unexpected",
                f"delivery {delivery.get('id')} of {delivery.get('event_type')} for "
                f"{object_id}, which sent {expected}",
                payment_id,
            )
        if delivery.get("status") == "PENDING":
            check.add(
                "webhook_not_settled", f"delivery {delivery.get('id')} still PENDING", payment_id
            )
    for event_type in expected:
        wanted = subscribed(endpoints, event_type)
        of_event = [d for d in mine if d.get("event_type") == event_type]
        per_endpoint: dict[Any, int] = defaultdict(int)
        for delivery in of_event:
            per_endpoint[delivery.get("endpoint_id")] += 1
        if wanted != 0 and not of_event:
            check.add("webhook_missing", f"no delivery of {event_type} for {object_id}", payment_id)
        elif wanted is not None and len(per_endpoint) != wanted:
            check.add(
                "webhook_missing",
                f"{event_type} of {object_id} delivered to {len(per_endpoint)} endpoints, "
                f"{wanted} subscribe",
                payment_id,
            )
        for endpoint_id, count in per_endpoint.items():
            if count > 1:
                check.add(
                    "webhook_duplicated",
                    f"{count} deliveries of {event_type} for {object_id} to {endpoint_id}",
                    payment_id,
                )


def check_webhook_status(
    check: Check, payment_id: str, payment: Doc, deliveries: list[Doc], latest: str | None
) -> None:
    """`webhook_status` as the deliveries of the payment's latest settling event say."""
    current = generation(payment)
    finals = [
        d
        for d in deliveries
        if d.get("event_type") == latest
        and (d.get("object_id") or payment_id) == payment_id
        and generation(d) == current
    ]
    statuses: set[Any] = {d.get("status") for d in finals}
    expected = "FAILED" if "FAILED" in statuses else "SUCCESS" if statuses == {"SUCCESS"} else None
    if expected is not None and payment.get("webhook_status") != expected:
        check.add(
            "webhook_status_mismatch",
            f"webhook_status {payment.get('webhook_status')}, deliveries {sorted(statuses)}",
            payment_id,
        )


Arrival = tuple[str, str | None]  # (webhook id, the receiver's endpoint tag)


def endpoint_tag(url: str | None) -> str | None:
    """The `?endpoint=` of a delivery's URL: what the receiver files its arrivals under."""
    if not url:
        return None
    return parse_qs(urlsplit(url).query).get("endpoint", [None])[0]


def _arrival_of(delivery: Doc) -> Arrival:
    return delivery.get("event_id", ""), endpoint_tag(delivery.get("endpoint_url"))


def check_receiver(
    check: Check,
    payments: dict[str, Doc],
    deliveries: dict[str, list[Doc]],
    records: Iterable[Doc],
    *,
    bad_signatures: bool = False,
) -> None:
    received: dict[Arrival, list[Doc]] = defaultdict(list)
    for record in records:
        if record.get("payment_id") in payments and record.get("webhook_id"):
            received[record["webhook_id"], record.get("endpoint")].append(record)
    known = {_arrival_of(d): d for items in deliveries.values() for d in items}
    for (webhook_id, _), arrivals in received.items():
        payment_id = arrivals[0].get("payment_id")
        if len({r.get("body_sha256") for r in arrivals}) > 1:
            check.add(
                "redelivery_body_changed",
                f"{webhook_id}: {len(arrivals)} receptions with different bodies",
                payment_id,
            )
        allowed = _simulated_bad_signature(arrivals) if bad_signatures else None
        for record in arrivals:
            if not record.get("valid_signature") and record is not allowed:
                check.add(
                    "invalid_signature", f"{webhook_id} arrived with a bad signature", payment_id
                )
    _check_taken_once(check, received, known)
    for payment_id, items in deliveries.items():
        if payment_id not in payments:
            continue
        for delivery in items:
            _check_delivered(check, payment_id, delivery, received.get(_arrival_of(delivery), []))


def _simulated_bad_signature(arrivals: list[Doc]) -> Doc | None:
    """The arrival the simulator signed wrongly on purpose: a webhook id's first, refused
    (4xx), with a correctly signed arrival after it; None when the arrivals do not look so."""
    ordered = sorted(arrivals, key=lambda r: int(r.get("attempt") or 0))  # the receiver's count
    first = ordered[0]
    refused = 400 <= int(first.get("status_code") or 0) < 500
    followed = any(r.get("valid_signature") for r in ordered[1:])
    return first if not first.get("valid_signature") and refused and followed else None


def _taken(record: Doc) -> bool:
    return bool(record.get("valid_signature")) and 200 <= record.get("status_code", 0) < 300


def _check_taken_once(
    check: Check, received: dict[Arrival, list[Doc]], known: dict[Arrival, Doc]
) -> None:
    """One webhook id per object, event and endpoint taken by the receiver; each id taken is
    one a delivery records (which says what it was about and where it went)."""
    ids: dict[tuple[Any, ...], set[Arrival]] = defaultdict(set)
    for arrival, arrivals in received.items():
        webhook_id = arrival[0]
        taken = [r for r in arrivals if _taken(r)]
        if not taken:
            continue
        delivery = known.get(arrival)
        if delivery is None:
            check.add(
                "webhook_unrecorded",
                f"the receiver took {webhook_id} ({taken[0].get('event_type')}), which no "
                "delivery records",
                taken[0].get("payment_id"),
            )
            continue
        if delivery.get("event_type") in NOT_CHECKED:
            continue
        object_id = delivery.get("object_id") or taken[0].get("payment_id")
        event_type, endpoint = delivery.get("event_type"), delivery.get("endpoint_id")
        ids[object_id, event_type, endpoint, generation(delivery)].add(arrival)
    for (object_id, event_type, endpoint, _), taken_ids in ids.items():
        if len(taken_ids) > 1:
            payment_id = received[next(iter(taken_ids))][0].get("payment_id")
            check.add(
                "webhook_duplicated",
                f"the receiver took {len(taken_ids)} webhook ids for {event_type} of "
                f"{object_id} at {endpoint}: {sorted(i for i, _ in taken_ids)}",
                payment_id,
            )


def _check_delivered(check: Check, payment_id: str, delivery: Doc, arrivals: list[Doc]) -> None:
    body = delivery.get("body")
    if body is not None:
        digest = hashlib.sha256(body.encode()).hexdigest()
        if any(r.get("body_sha256") != digest for r in arrivals):
            check.add(
                "redelivery_body_changed",
                f"{delivery.get('event_id')}: received bytes differ from the stored body",
                payment_id,
            )
    if delivery.get("status") == "SUCCESS" and not any(_taken(r) for r in arrivals):
        check.add(
            "webhook_missing",
            f"{delivery.get('event_id')} is SUCCESS but the receiver never took it",
            payment_id,
        )
