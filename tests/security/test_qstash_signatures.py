"""Internal routes accept only genuine, fresh, first-time QStash deliveries (401 otherwise).

Each case signs a request the way QStash does (reference C) and breaks one thing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.harness import internal_routes

INTERNAL_ROUTES = tuple(sorted(internal_routes()))  # every QStash-driven route of every function
BODY = json.dumps({"payment_id": "pay_00000000000000000000000000", "generation": 1}).encode()


def sign(
    key: str, url: str, body: bytes, *, age_s: int = 0, lifetime_s: int = 300, **extra: Any
) -> str:
    now = int(time.time()) - age_s
    claims = {
        "iss": "Upstash",
        "sub": url,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_s,
        "jti": "jwt_" + uuid.uuid4().hex,
        "body": base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode(),
        **extra,
    }
    return jwt.encode(claims, key, algorithm="HS256")


@pytest.fixture(scope="module")
def internal(functions_service: ManagedProcess, stack_cfg: StackConfig) -> httpx.Client:
    return httpx.Client(base_url=stack_cfg.functions_url, timeout=10)


def url_of(stack_cfg: StackConfig, path: str) -> str:
    return stack_cfg.functions_url + path


def post(
    client: httpx.Client, path: str, signature: str | None, body: bytes = BODY
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["Upstash-Signature"] = signature
    return client.post(path, content=body, headers=headers)


def assert_rejected(response: httpx.Response, needle: str = "") -> None:
    """401 invalid_signature; `needle` where the reason is specific (the next key's mismatch
    masks the current key's reason otherwise, as in `qstash.Receiver`)."""
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_signature"
    assert error["type"] == "authentication_error"
    assert needle in error["message"].lower(), error
    assert "Traceback" not in response.text


def test_a_genuine_signature_is_accepted_with_either_key(
    internal: httpx.Client, stack_cfg: StackConfig
) -> None:
    """The control for every rejection below: same route, same body, signed correctly."""
    path = "/internal/process_payment"
    for key in (stack_cfg.qstash_current_signing_key, stack_cfg.qstash_next_signing_key):
        response = post(internal, path, sign(key, url_of(stack_cfg, path), BODY))
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "unknown_payment"


@pytest.mark.parametrize("path", INTERNAL_ROUTES)
def test_missing_signature_is_rejected(internal: httpx.Client, path: str) -> None:
    assert_rejected(post(internal, path, None), "missing")


@pytest.mark.parametrize("path", INTERNAL_ROUTES)
def test_forged_signature_is_rejected(
    internal: httpx.Client, stack_cfg: StackConfig, path: str
) -> None:
    forged = sign("sig_attackerKnowsNothingAboutThisKey", url_of(stack_cfg, path), BODY)
    assert_rejected(post(internal, path, forged))


def test_garbage_signature_is_rejected(internal: httpx.Client) -> None:
    assert_rejected(post(internal, "/internal/process_payment", "not.a.jwt"))


def test_unsigned_alg_none_token_is_rejected(
    internal: httpx.Client, stack_cfg: StackConfig
) -> None:
    path = "/internal/process_payment"
    token = jwt.encode(
        {
            "iss": "Upstash",
            "sub": url_of(stack_cfg, path),
            "exp": int(time.time()) + 300,
            "nbf": int(time.time()),
            "body": "x",
        },
        key=None,
        algorithm="none",
    )
    assert_rejected(post(internal, path, token))


def test_expired_signature_is_rejected(internal: httpx.Client, stack_cfg: StackConfig) -> None:
    path = "/internal/process_payment"
    expired = sign(stack_cfg.qstash_current_signing_key, url_of(stack_cfg, path), BODY, age_s=400)
    assert_rejected(post(internal, path, expired))


def test_not_yet_valid_signature_is_rejected(
    internal: httpx.Client, stack_cfg: StackConfig
) -> None:
    path = "/internal/process_payment"
    future = sign(stack_cfg.qstash_current_signing_key, url_of(stack_cfg, path), BODY, age_s=-120)
    assert_rejected(post(internal, path, future))


@pytest.mark.parametrize(
    "signed_for",
    [
        "http://evil.example/internal/process_payment",  # another host
        "/internal/dispatch_webhook",  # another route of ours
        "/internal/process_payment?x=1",  # same route, other query
    ],
)
def test_signature_for_another_url_is_rejected(
    internal: httpx.Client, stack_cfg: StackConfig, signed_for: str
) -> None:
    url = signed_for if signed_for.startswith("http") else url_of(stack_cfg, signed_for)
    token = sign(stack_cfg.qstash_current_signing_key, url, BODY)
    assert_rejected(post(internal, "/internal/process_payment", token))


def test_signature_over_another_body_is_rejected(
    internal: httpx.Client, stack_cfg: StackConfig
) -> None:
    path = "/internal/process_payment"
    token = sign(stack_cfg.qstash_current_signing_key, url_of(stack_cfg, path), BODY)
    tampered = BODY.replace(b'"generation": 1', b'"generation": 2')
    assert tampered != BODY
    assert_rejected(post(internal, path, token, tampered))


# Steps whose handler absorbs a redelivery by state (the payment's guarded moves, the delivery's
# round): a replayed signed request is a redelivery to them, so they skip the replay guard's
# Upstash command (docs/guarantees.md). Every other internal route remembers the `jti`.
UNGUARDED_ROUTES = ("/internal/dispatch_webhook", "/internal/process_payment")
GUARDED_ROUTES = tuple(r for r in INTERNAL_ROUTES if r not in UNGUARDED_ROUTES)


@pytest.mark.parametrize("path", GUARDED_ROUTES)
def test_replayed_signature_is_rejected(
    internal: httpx.Client, stack_cfg: StackConfig, path: str
) -> None:
    token = sign(stack_cfg.qstash_current_signing_key, url_of(stack_cfg, path), BODY)
    first = post(internal, path, token)
    assert first.status_code != 401, first.text
    assert_rejected(post(internal, path, token), "replay")
    assert_rejected(post(internal, path, token), "replay")


@pytest.mark.parametrize("path", UNGUARDED_ROUTES)
def test_a_replay_of_an_idempotent_step_is_answered_like_a_redelivery(
    internal: httpx.Client, stack_cfg: StackConfig, path: str
) -> None:
    body = json.dumps({"delivery_id": "whd_missing", "payment_id": "pay_missing"}).encode()
    body = BODY if path == "/internal/process_payment" else body
    token = sign(stack_cfg.qstash_current_signing_key, url_of(stack_cfg, path), body)
    answers = [post(internal, path, token, body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], answers[0].text
    assert answers[0].json() == answers[1].json() == answers[2].json()
