"""A Gateway wired to the in-memory fakes, with explicit configuration values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.domain.clock import utcnow
from shared.domain.webhooks import EVENT_TYPES
from shared.services.context import Gateway, LifecycleConfig
from tests.fakes.edges import (
    FakeCounter,
    FakeLock,
    FakeQueue,
    FakeReplayGuard,
    FakeResolver,
    FakeSender,
    NoRateLimit,
)
from tests.fakes.refunds import FakeRefunds
from tests.fakes.stores import (
    FakeDisputes,
    FakeMerchants,
    FakePayments,
    FakeSimulator,
    FakeWebhooks,
)

CONFIG = LifecycleConfig(
    max_amount=1_000_000,
    currencies=("USD", "EUR", "INR"),
    max_attempts=3,
    webhook_max_attempts=5,
    lease_seconds=30,
    idempotency_lock_ms=10_000,
    outcome_weights=(70, 15, 15),
    simulator_seed=7,
    gateway_latency_ms=(0, 0),
    function_timeout_s=10.0,
    stale_after_s=30,
    authorization_ttl_s=3600,
    webhook_secret_overlap_s=3600,
    webhook_redrive_after_s=600.0,
    card_fingerprint_key="unit-tier-card-fingerprint-key-0123456789",
    webhook_allow_loopback=False,
)
MERCHANT = "mer_unit"
ENDPOINT_SECRET = "whsec_dW5pdC10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"


def fake_gateway(*, endpoints: int = 1, sender: FakeSender | None = None, **config: Any) -> Gateway:
    """A gateway whose merchant has `endpoints` webhook endpoints subscribed to everything."""
    webhooks = FakeWebhooks()
    payments = FakePayments()
    for n in range(endpoints):
        webhooks.endpoints[f"we_unit{n}"] = {
            "_id": f"we_unit{n}",
            "merchant_id": MERCHANT,
            "url": f"https://merchant.example/hooks/{n}",
            "enabled_events": list(EVENT_TYPES),
            "secret": ENDPOINT_SECRET,
            "status": "enabled",
            "created_at": utcnow(),
        }
    payments = FakePayments()
    gw = Gateway(
        config=replace(CONFIG, **config),
        payments=payments,
        webhooks=webhooks,
        merchants=FakeMerchants(),
        lock=FakeLock(),
        queue=FakeQueue(),
        sender=sender or FakeSender(),
        replay_guard=FakeReplayGuard(),
        rate_limit=NoRateLimit(),
        resolver=FakeResolver({"merchant.example": ["93.184.215.14"]}),
        refunds=FakeRefunds(payments),
        disputes=FakeDisputes(payments.events),
        counters=FakeCounter(),
        simulator=FakeSimulator(),
    )
    gw.endpoint_cache.ttl_s = 0  # every read sees the fake store
    gw.simulator_cache.ttl_s = 0
    return gw
