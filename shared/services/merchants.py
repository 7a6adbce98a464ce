"""Use cases: who is calling (API key → merchant), and seeding the dev-mode demo merchant."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from shared.domain.clock import utcnow
from shared.domain.errors import AuthenticationFailed, RateLimited
from shared.domain.webhooks import DEFAULT_EVENT_TYPES
from shared.services.context import Gateway

DEMO_MERCHANT_ID = "mer_demo"
DEMO_ENDPOINT_ID = "we_demo"


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def bearer_key(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationFailed(
            "no API key: send 'Authorization: Bearer <api key>'", code="missing_api_key"
        )
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise AuthenticationFailed(
            "the Authorization header must be 'Bearer <api key>'", code="missing_api_key"
        )
    return key.strip()


async def authenticate(gw: Gateway, authorization: str | None) -> dict[str, Any]:
    """The merchant owning this key; keys are looked up by hash and compared in constant time."""
    key = bearer_key(authorization)
    key_hash = hash_api_key(key)
    merchant = gw.merchant_cache.get(key_hash)
    if merchant is None:
        merchant = await gw.merchants.by_key_hash(key_hash)
    if merchant is None or not hmac.compare_digest(merchant["api_key_hash"], key_hash):
        raise AuthenticationFailed("invalid API key")
    gw.merchant_cache.put(key_hash, merchant)
    retry_after = await gw.rate_limit.check(merchant["_id"])
    if retry_after is not None:
        raise RateLimited("too many requests for this merchant; slow down", retry_after=retry_after)
    return merchant


async def create_merchant(gw: Gateway, merchant_id: str, name: str, api_key: str) -> dict[str, Any]:
    merchant = {
        "_id": merchant_id,
        "name": name,
        "api_key_hash": hash_api_key(api_key),
        "created_at": utcnow(),
    }
    await gw.merchants.insert_if_absent(merchant)
    return merchant


async def seed_demo(gw: Gateway, api_key: str, webhook_url: str, webhook_secret: str) -> None:
    """Dev mode: the demo merchant and one endpoint at the demo receiver (idempotent)."""
    await create_merchant(gw, DEMO_MERCHANT_ID, "Demo merchant", api_key)
    await gw.webhooks.insert_endpoint(
        {
            "_id": DEMO_ENDPOINT_ID,
            "merchant_id": DEMO_MERCHANT_ID,
            "url": webhook_url,
            "enabled_events": list(DEFAULT_EVENT_TYPES),
            "description": "demo merchant receiver",
            "secret": webhook_secret,
            "status": "enabled",
            "created_at": utcnow(),
        }
    )
