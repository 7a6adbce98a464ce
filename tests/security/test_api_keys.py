"""API keys: only their SHA-256 is stored, and nothing but the exact key opens the account.

The merchant under test is made by the operator script (`infra/create_merchant.py`), the way a
production merchant is, with a random key; the demo merchant is the one dev mode seeds.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import bson
import httpx
import pytest
from pymongo.database import Database

from devstack.stack import StackConfig
from infra.create_merchant import create_merchant
from tests.security.conftest import DEMO_KEY
from tests.security.helpers import auth, create_payment, payment_body


@pytest.fixture(scope="module")
def operator_merchant(
    stack_cfg: StackConfig, mongo_db: Database[Any], api: httpx.Client
) -> tuple[str, str]:
    """(merchant id, API key) of a merchant created as an operator creates one."""
    return create_merchant(stack_cfg.mongodb_uri, mongo_db.name, "Key test merchant")


def _status(api: httpx.Client, key: str) -> int:
    return api.get("/v1/payments", params={"limit": 1}, headers=auth(key)).status_code


def test_keys_are_stored_only_as_hashes(
    api: httpx.Client, operator_merchant: tuple[str, str], mongo_db: Database[Any]
) -> None:
    merchant_id, key = operator_merchant
    # Use the key (a payment, a list, an endpoint) so every collection it could leak into exists.
    assert create_payment(api, payment_body(), headers=auth(key)).status_code == 201
    assert _status(api, key) == 200
    endpoint = api.post(
        "/v1/webhook_endpoints",
        json={"url": "http://127.0.0.1:9/keys", "enabled_events": ["payment.failed"]},
        headers=auth(key),
    )
    assert endpoint.status_code == 201, endpoint.text
    stored = mongo_db["merchants"].find_one({"_id": merchant_id})
    assert stored is not None
    assert stored["api_key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    demo = mongo_db["merchants"].find_one({"_id": "mer_demo"})
    assert (
        demo is not None and demo["api_key_hash"] == hashlib.sha256(DEMO_KEY.encode()).hexdigest()
    )
    searched = 0
    for name in mongo_db.list_collection_names():
        for doc in mongo_db[name].find():
            raw = bson.encode(doc)
            searched += 1
            assert key.encode() not in raw, f"{name} holds the operator merchant's key"
            assert DEMO_KEY.encode() not in raw, f"{name} holds the demo key"
    assert searched > 3  # merchants, payments, endpoints at least: the search saw documents


def test_keys_close_to_the_real_one_are_refused(
    api: httpx.Client, operator_merchant: tuple[str, str], mongo_db: Database[Any]
) -> None:
    merchant_id, key = operator_merchant
    assert _status(api, key) == 200  # the right key works, so a 401 below is about the key
    half = len(key) // 2
    other_char = "A" if key[-1] != "A" else "B"
    stored = mongo_db["merchants"].find_one({"_id": merchant_id})
    assert stored is not None
    wrong = {
        "same prefix": key[:half] + secrets.token_urlsafe(len(key))[: len(key) - half],
        "last char differs": key[:-1] + other_char,
        "first char differs": ("X" if key[0] != "X" else "Y") + key[1:],
        "hash as key": hashlib.sha256(key.encode()).hexdigest(),
        "stored hash as key": stored["api_key_hash"],
        "prefix only": key[:half],
        "key plus a char": key + "A",
    }
    for what, candidate in wrong.items():
        assert candidate != key
        response = api.get("/v1/payments", params={"limit": 1}, headers=auth(candidate))
        assert response.status_code == 401, (what, response.text)
        assert response.json()["error"]["code"] == "invalid_api_key", what


def test_near_miss_demo_keys_are_refused(api: httpx.Client) -> None:
    assert _status(api, DEMO_KEY) == 200
    for key in (
        DEMO_KEY[:-1],
        DEMO_KEY + "x",
        DEMO_KEY.upper(),
        DEMO_KEY[:-1] + "O",
        hashlib.sha256(DEMO_KEY.encode()).hexdigest(),
    ):
        response = api.get("/v1/payments", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401, key
        assert response.json()["error"]["code"] == "invalid_api_key"
    for header in ("", "Bearer", f"Basic {DEMO_KEY}", DEMO_KEY, f"Bearer  {DEMO_KEY}x"):
        response = api.get("/v1/payments", headers={"Authorization": header})
        assert response.status_code == 401, header
