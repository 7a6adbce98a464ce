"""`paygate trigger <event type>`: create, through the public API only, what sends that event.

Each recipe makes a payment (a magic card, a scenario or manual capture), waits for the state it
needs (SUCCESS before a refund, REQUIRES_CAPTURE before a cancel, the dispute opening…), does
the follow-up call if any, then waits for the event itself to show up in `GET /v1/events` and
prints every id it created. Works against the local stack and a deployed paygate alike.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import httpx

from shared.domain.webhooks import EVENT_TYPES

Doc = dict[str, Any]
SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
REFUND_FAILS_CARD = "4000000000005126"
DISPUTE_CARD = "4000000000000259"


class TriggerError(Exception):
    pass


@dataclass
class Api:
    client: httpx.Client
    out: TextIO
    timeout_s: float
    poll_s: float = 0.25

    def call(
        self,
        method: str,
        path: str,
        body: Doc | None = None,
        *,
        idempotent: bool = False,
        params: Doc | None = None,
    ) -> Doc:
        headers = {"Idempotency-Key": f"trigger-{uuid.uuid4().hex}"} if idempotent else {}
        response = self.client.request(method, path, json=body, headers=headers, params=params)
        if response.status_code >= 400:
            raise TriggerError(f"{method} {path} answered {response.status_code}: {response.text}")
        return dict(response.json())

    def until(self, what: str, probe: Callable[[], Doc | None]) -> Doc:
        """Poll `probe` until it returns something, within the timeout."""
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            found = probe()
            if found is not None:
                return found
            time.sleep(self.poll_s)
        raise TriggerError(f"gave up waiting for {what} after {self.timeout_s:.0f} s")

    def created(self, kind: str, object_id: str) -> None:
        self.out.write(f"{kind:<8} {object_id}\n")
        self.out.flush()

    def pay(self, event_type: str, **extra: Any) -> Doc:
        card = extra.pop("card", SUCCESS_CARD)
        body = {
            "amount": 2000,
            "currency": "USD",
            "payment_method": {"type": "card", "card_number": card},
            "user_id": "paygate_trigger",
            "description": f"paygate trigger {event_type}",
            **extra,
        }
        payment = self.call("POST", "/v1/payments", body, idempotent=True)
        self.created("payment", payment["id"])
        return payment

    def payment_in(self, payment_id: str, statuses: tuple[str, ...]) -> Doc:
        def probe() -> Doc | None:
            payment = self.call("GET", f"/v1/payments/{payment_id}")
            return payment if payment["status"] in statuses else None

        return self.until(f"{payment_id} to be {' or '.join(statuses)}", probe)


def _payment(api: Api, event_type: str, wanted: tuple[str, ...], **extra: Any) -> str:
    payment = api.pay(event_type, **extra)
    api.payment_in(payment["id"], wanted)
    return str(payment["id"])


def _retrying(api: Api, event_type: str) -> str:
    payment = api.pay(event_type, scenario="flaky")  # a timeout, then success
    return str(payment["id"])


def _canceled(api: Api, event_type: str) -> str:
    pid = _payment(api, event_type, ("REQUIRES_CAPTURE",), capture_method="manual")
    api.call("POST", f"/v1/payments/{pid}/cancel", {})
    return pid


def _refund(api: Api, event_type: str, card: str, wanted: str) -> str:
    pid = _payment(api, event_type, ("SUCCESS",), card=card)
    refund = api.call("POST", "/v1/refunds", {"payment": pid}, idempotent=True)
    api.created("refund", refund["id"])

    def probe() -> Doc | None:
        found = api.call("GET", f"/v1/refunds/{refund['id']}")
        return found if found["status"] == wanted else None

    api.until(f"{refund['id']} to be {wanted}", probe)
    return pid


def _dispute(api: Api, event_type: str, close: bool) -> str:
    pid = _payment(api, event_type, ("SUCCESS",), card=DISPUTE_CARD)

    def probe() -> Doc | None:
        data = api.call("GET", "/v1/disputes", params={"payment": pid})["data"]
        return dict(data[0]) if data else None

    dispute = api.until(f"the dispute of {pid} to open", probe)
    api.created("dispute", dispute["id"])
    if close:
        api.call("POST", f"/v1/disputes/{dispute['id']}/close", {})
    return pid


RECIPES: dict[str, tuple[str, Callable[[Api, str], str]]] = {
    "payment.succeeded": (
        "a card payment that succeeds",
        lambda api, t: _payment(api, t, ("SUCCESS",)),
    ),
    "payment.failed": (
        f"a payment with the declined card {DECLINED_CARD}",
        lambda api, t: _payment(api, t, ("FAILED",), card=DECLINED_CARD),
    ),
    "payment.retrying": ("a payment with scenario flaky (a timeout, then success)", _retrying),
    "payment.requires_capture": (
        "a payment with capture_method manual",
        lambda api, t: _payment(api, t, ("REQUIRES_CAPTURE",), capture_method="manual"),
    ),
    "payment.canceled": ("a manual-capture payment, then canceled", _canceled),
    "refund.succeeded": (
        "a successful payment, then a full refund",
        lambda api, t: _refund(api, t, SUCCESS_CARD, "SUCCEEDED"),
    ),
    "refund.failed": (
        f"a payment with card {REFUND_FAILS_CARD}, then a refund (which fails)",
        lambda api, t: _refund(api, t, REFUND_FAILS_CARD, "FAILED"),
    ),
    "dispute.created": (
        f"a payment with card {DISPUTE_CARD}, which a dispute follows",
        lambda api, t: _dispute(api, t, close=False),
    ),
    "dispute.closed": (
        f"a payment with card {DISPUTE_CARD}, then its dispute closed (accepted)",
        lambda api, t: _dispute(api, t, close=True),
    ),
}
assert tuple(RECIPES) == EVENT_TYPES, "a recipe per event type"


def list_types(out: TextIO = sys.stdout) -> None:
    for event_type, (description, _) in RECIPES.items():
        out.write(f"{event_type:<26} {description}\n")


def trigger(
    event_type: str,
    *,
    api_url: str,
    api_key: str,
    timeout_s: float = 60.0,
    out: TextIO = sys.stdout,
) -> Doc:
    """Make `event_type` happen; returns the event (once `GET /v1/events` shows it)."""
    if event_type not in RECIPES:
        raise TriggerError(
            f"unknown event type {event_type!r}; one of: {', '.join(RECIPES)} (see --list)"
        )
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30) as client:
        api = Api(client, out, timeout_s)
        payment_id = RECIPES[event_type][1](api, event_type)

        def probe() -> Doc | None:
            params = {"type": event_type, "payment": payment_id}
            data = api.call("GET", "/v1/events", params=params)["data"]
            return dict(data[0]) if data else None

        event = api.until(f"the {event_type} event of {payment_id}", probe)
        api.created("event", f"{event['id']} ({event_type})")
        return event


def run(event_type: str | None, *, api_url: str, api_key: str, timeout_s: float, show: bool) -> int:
    if show or event_type is None:
        list_types()
        return 0 if show else 2
    try:
        trigger(event_type, api_url=api_url, api_key=api_key, timeout_s=timeout_s)
    except TriggerError as exc:
        sys.stderr.write(f"paygate trigger: {exc}\n")
        return 2 if event_type not in RECIPES else 1
    except httpx.HTTPError as exc:
        sys.stderr.write(f"paygate trigger: cannot reach {api_url}: {exc}\n")
        return 1
    return 0
