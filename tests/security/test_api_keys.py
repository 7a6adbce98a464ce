"""API keys: only their SHA-256 is stored, and the stored hash is compared in constant time."""

from __future__ import annotations

import ast
import hashlib
import inspect
from typing import Any

import bson
import httpx
from pymongo.database import Database

from shared.services import merchants
from tests.security.conftest import DEMO_KEY


def test_keys_are_stored_only_as_hashes(
    api: httpx.Client, api_b: httpx.Client, merchant_b: str, mongo_db: Database[Any]
) -> None:
    docs = {doc["_id"]: doc for doc in mongo_db["merchants"].find()}
    assert docs["mer_demo"]["api_key_hash"] == hashlib.sha256(DEMO_KEY.encode()).hexdigest()
    assert docs["mer_b"]["api_key_hash"] == hashlib.sha256(merchant_b.encode()).hexdigest()
    for name in mongo_db.list_collection_names():
        for doc in mongo_db[name].find():
            raw = bson.encode(doc)
            assert DEMO_KEY.encode() not in raw, f"{name} holds the demo key"
            assert merchant_b.encode() not in raw, f"{name} holds merchant B's key"


def test_near_miss_keys_are_refused(api: httpx.Client) -> None:
    for key in (DEMO_KEY[:-1], DEMO_KEY + "x", DEMO_KEY.upper(), DEMO_KEY[:-1] + "O"):
        response = api.get("/v1/payments", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401, key
        assert response.json()["error"]["code"] == "invalid_api_key"
    for header in ("", "Bearer", f"Basic {DEMO_KEY}", DEMO_KEY, f"Bearer  {DEMO_KEY}x"):
        response = api.get("/v1/payments", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_the_hash_is_compared_in_constant_time() -> None:
    """`authenticate` compares with hmac.compare_digest and never with == on key material."""
    tree = ast.parse(inspect.getsource(merchants.authenticate))
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    assert "compare_digest" in calls
    comparisons = [node for node in ast.walk(tree) if isinstance(node, ast.Compare)]
    for node in comparisons:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        assert not names & {"key", "key_hash"}, ast.unparse(node)
