"""Standard Webhooks signatures agree with the reference library and its test vector."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from shared.domain.webhooks import build_event, generate_secret, sign, signature_header


def test_reference_test_vector() -> None:
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_library_verifies_our_signature_and_rejects_tampering() -> None:
    secret = generate_secret()
    now = int(datetime.now(UTC).timestamp())
    body = '{"id":"msg_1","type":"payment.succeeded"}'
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": signature_header([secret], "msg_1", now, body),
    }
    assert Webhook(secret).verify(body, headers)["type"] == "payment.succeeded"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("succeeded", "failed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_rotation_overlap_signs_with_both_secrets() -> None:
    old, new = generate_secret(), generate_secret()
    now = int(datetime.now(UTC).timestamp())
    header = signature_header([new, old], "msg_2", now, "{}")
    assert len(header.split(" ")) == 2
    headers = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": header}
    for secret in (old, new):
        assert Webhook(secret).verify("{}", headers) == {}


def test_event_shape() -> None:
    event = build_event("msg_3", "payment.failed", "2026-01-01T00:00:00.000Z", {"id": "pay_1"})
    assert event == {
        "id": "msg_3",
        "type": "payment.failed",
        "created_at": "2026-01-01T00:00:00.000Z",
        "data": {"id": "pay_1"},
    }
