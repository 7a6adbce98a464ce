"""Webhook secrets are per endpoint, rotate with an overlap in which both sign, and webhook
payloads never carry a card number."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo.database import Database
from standardwebhooks import Webhook, WebhookVerificationError

from devstack.processes import ManagedProcess
from tests.security.capture import Captured, CaptureServer
from tests.security.conftest import EDGE_SECRET_OVERLAP_S, edge_url
from tests.security.helpers import auth, create_payment, insert_merchant, payment_body

CARD = "4242424242424242"


@pytest.fixture(scope="module")
def capture() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server


@pytest.fixture(scope="module")
def edge_api(edge: ManagedProcess, mongo_db: Database[Any]) -> Iterator[httpx.Client]:
    """A merchant of its own (the edge rate-limits per merchant) through the edge process,
    whose webhook secret overlap lasts a few seconds."""
    key = f"sk_test_rot_{uuid.uuid4().hex}"
    insert_merchant(mongo_db, "mer_rotation", key)
    with httpx.Client(base_url=edge_url(edge), headers=auth(key), timeout=15) as client:
        yield client


def add_endpoint(client: httpx.Client, url: str) -> dict[str, str]:
    response = client.post(
        "/v1/webhook_endpoints", json={"url": url, "enabled_events": ["payment.succeeded"]}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def verifies(secret: str, request: Captured) -> bool:
    try:
        Webhook(secret).verify(request.body, request.headers)
    except WebhookVerificationError:
        return False
    return True


def pay_and_capture(client: httpx.Client, capture: CaptureServer, path: str) -> Captured:
    """Pay with a full card number; the event that reaches `path` for this payment."""
    created = create_payment(
        client, payment_body(payment_method={"type": "card", "card_number": CARD})
    )
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for request in capture.wait_for(path, timeout_s=20):
            if json.loads(request.body)["data"]["id"] == payment_id:
                return request
        time.sleep(0.1)
    raise AssertionError(f"no webhook for {payment_id} at {path}")


def test_each_endpoint_has_its_own_secret(api: httpx.Client, capture: CaptureServer) -> None:
    one = add_endpoint(api, f"{capture.url}/one")
    two = add_endpoint(api, f"{capture.url}/two")
    assert one["secret"].startswith("whsec_") and two["secret"].startswith("whsec_")
    assert one["secret"] != two["secret"]
    listed = api.get("/v1/webhook_endpoints").json()["data"]
    assert all("secret" not in endpoint for endpoint in listed), "secrets are shown once only"

    event_one = pay_and_capture(api, capture, "/one")
    event_two = pay_and_capture(api, capture, "/two")
    assert verifies(one["secret"], event_one) and not verifies(two["secret"], event_one)
    assert verifies(two["secret"], event_two) and not verifies(one["secret"], event_two)
    for endpoint in (one, two):
        assert api.delete(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 200


def test_rotation_overlap_signs_with_both_then_only_the_new(
    edge_api: httpx.Client, capture: CaptureServer
) -> None:
    endpoint = add_endpoint(edge_api, f"{capture.url}/rotating")
    old = endpoint["secret"]
    rotated = edge_api.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert rotated.json()["previous_secret_expires_at"]

    during = pay_and_capture(edge_api, capture, "/rotating")
    assert len(during.headers["webhook-signature"].split()) == 2
    assert verifies(new, during) and verifies(old, during)

    time.sleep(EDGE_SECRET_OVERLAP_S + 0.5)
    after = pay_and_capture(edge_api, capture, "/rotating")
    assert len(after.headers["webhook-signature"].split()) == 1
    assert verifies(new, after) and not verifies(old, after)
    assert edge_api.delete(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 200


def test_webhook_payload_carries_no_card_number(api: httpx.Client, capture: CaptureServer) -> None:
    endpoint = add_endpoint(api, f"{capture.url}/payload")
    event = pay_and_capture(api, capture, "/payload")
    api.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert CARD.encode() not in event.body
    method = json.loads(event.body)["data"]["payment_method"]
    assert method == {"type": "card", "brand": "visa", "last4": CARD[-4:]}
