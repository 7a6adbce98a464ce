"""Wiring real adapters: one Gateway per event loop, built lazily and reused across invocations.

Clients are created without I/O; the first request that needs the database also creates the
indexes (and, in dev mode, the demo merchant) once. If that fails, the next request tries again.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from upstash_redis.asyncio import Redis

from shared.adapters import mongo, qstash_queue, upstash, webhook_sender
from shared.adapters.dispute_repository import DisputeRepository
from shared.adapters.dns_resolver import DnsResolver
from shared.adapters.merchant_repository import MerchantRepository
from shared.adapters.metrics_repository import MetricsRepository
from shared.adapters.payment_repository import PaymentRepository
from shared.adapters.refund_repository import RefundRepository
from shared.adapters.settlement_repository import SettlementRepository
from shared.adapters.settlement_store import SettlementStore, default_store
from shared.adapters.simulator_repository import SimulatorRepository
from shared.adapters.webhook_repository import WebhookRepository
from shared.config import Settings, get_settings
from shared.domain.retry_budget import webhook_redrive_after_s
from shared.domain.tasks import FlowLimits
from shared.services.context import Gateway, LifecycleConfig
from shared.services.destinations import check_destination
from shared.services.merchants import seed_demo
from shared.services.ports import HostResolver


@dataclass
class Clients:
    settings: Settings
    mongo: AsyncMongoClient[dict[str, Any]]
    redis: Redis
    qstash: qstash_queue.QStashClient
    gateway: Gateway
    metrics: MetricsRepository
    settlements: SettlementRepository
    ready: bool = False


_clients: dict[asyncio.AbstractEventLoop, Clients] = {}
_ready_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def lifecycle_config(settings: Settings) -> LifecycleConfig:
    """The values the use cases read, taken from this process's settings."""
    weights = settings.outcome_weights
    latency = settings.gateway_latency_ms
    return LifecycleConfig(
        max_amount=settings.max_amount,
        currencies=tuple(settings.currencies),
        max_attempts=settings.max_attempts,
        webhook_max_attempts=settings.webhook_max_attempts,
        lease_seconds=settings.lease_seconds,
        idempotency_lock_ms=settings.idempotency_lock_ms,
        outcome_weights=(weights[0], weights[1], weights[2]),
        simulator_seed=settings.simulator_seed,
        gateway_latency_ms=(latency[0], latency[1]),
        function_timeout_s=settings.function_timeout_s,
        stale_after_s=settings.stale_after_s,
        authorization_ttl_s=settings.authorization_ttl_s,
        webhook_secret_overlap_s=settings.webhook_secret_overlap_s,
        webhook_disable_after=settings.webhook_disable_after,
        webhook_redrive_after_s=settings.webhook_redrive_after_s
        or webhook_redrive_after_s(
            settings.webhook_max_attempts,
            max(settings.webhook_timeout_s, settings.function_timeout_s),
            settings.qstash_time_scale,
        ),
        card_fingerprint_key=settings.card_fingerprint_key,
        webhook_allow_loopback=settings.is_dev,
        dispute_delay_s=settings.dispute_delay_s,
        dispute_decision_delay_s=settings.dispute_decision_delay_s,
        dispute_evidence_days=settings.dispute_evidence_days,
    )


def checked_sender(
    timeout_s: float, resolver: HostResolver, *, allow_loopback: bool
) -> webhook_sender.WebhookSender:
    """A webhook sender that re-checks each destination (resolved now) before connecting."""
    check = functools.partial(check_destination, resolver=resolver, allow_loopback=allow_loopback)
    return webhook_sender.WebhookSender(webhook_sender.connect(timeout_s), check)


def flow_limits(settings: Settings) -> FlowLimits:
    return FlowLimits(settings.flow_parallelism, settings.flow_rate, settings.flow_period_s)


def build_clients(settings: Settings) -> Clients:
    client = mongo.connect(settings.mongodb_uri)
    db = client[settings.mongodb_db]
    redis = upstash.connect(settings.upstash_redis_rest_url, settings.upstash_redis_rest_token)
    qstash = qstash_queue.connect(settings.qstash_token, settings.qstash_url)
    timeout = settings.dependency_timeout_s
    resolver = DnsResolver(timeout)
    gateway = Gateway(
        config=lifecycle_config(settings),
        payments=PaymentRepository(db),
        webhooks=WebhookRepository(db),
        merchants=MerchantRepository(db),
        lock=upstash.IdempotencyLock(redis, timeout),
        queue=qstash_queue.TaskQueue(qstash, settings.public_url, flow=flow_limits(settings)),
        sender=checked_sender(settings.webhook_timeout_s, resolver, allow_loopback=settings.is_dev),
        replay_guard=upstash.ReplayGuard(redis, timeout),
        rate_limit=upstash.MerchantRateLimit(redis, settings.rate_limit_per_second, timeout),
        resolver=resolver,
        refunds=RefundRepository(db),
        disputes=DisputeRepository(db),
        counters=upstash.RequestCounter(redis, timeout),
        simulator=SimulatorRepository(db),
    )
    gateway.merchant_cache.ttl_s = settings.auth_cache_s
    return Clients(
        settings,
        client,
        redis,
        qstash,
        gateway,
        MetricsRepository(db),
        SettlementRepository(db),
    )


def clients() -> Clients:
    """This event loop's clients (created on first use, no I/O)."""
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None:
        found = _clients[loop] = build_clients(get_settings())
    return found


def report_store() -> SettlementStore:
    """The S3 store of settlement reports (its boto3 client is made once, on first use)."""
    return default_store()


async def gateway() -> Gateway:
    """The ready Gateway: indexes exist and dev seed data is in place."""
    found = clients()
    if not found.ready:
        lock = _ready_locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        async with lock:
            if not found.ready:
                await _prepare(found)
                found.ready = True
    return found.gateway


@mongo.translate_errors
async def _prepare(found: Clients) -> None:
    settings = found.settings
    await mongo.ensure_indexes(found.mongo[settings.mongodb_db])
    if settings.is_dev and settings.seed_demo:
        await seed_demo(
            found.gateway,
            settings.demo_api_key,
            settings.demo_webhook_url,
            settings.demo_webhook_secret,
        )
