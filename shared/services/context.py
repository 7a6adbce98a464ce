"""What every use case is handed: its adapters and the plain configuration values it needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.adapters.merchant_repository import MerchantRepository
from shared.adapters.payment_repository import PaymentRepository
from shared.adapters.qstash_queue import TaskQueue
from shared.adapters.upstash import IdempotencyLock, MerchantRateLimit, ReplayGuard
from shared.adapters.webhook_repository import WebhookRepository
from shared.adapters.webhook_sender import WebhookSender
from shared.config import Settings
from shared.services.cache import TTLCache
from shared.services.destinations import HostResolver


@dataclass(frozen=True)
class LifecycleConfig:
    max_amount: int
    currencies: tuple[str, ...]
    max_attempts: int
    webhook_max_attempts: int
    lease_seconds: int
    idempotency_lock_ms: int
    outcome_weights: tuple[int, int, int]
    simulator_seed: int | None
    gateway_latency_ms: tuple[int, int]
    function_timeout_s: float
    stale_after_s: int
    webhook_secret_overlap_s: int
    card_fingerprint_key: str = field(repr=False)
    webhook_allow_loopback: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> LifecycleConfig:
        weights = settings.outcome_weights
        latency = settings.gateway_latency_ms
        return cls(
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
            webhook_secret_overlap_s=settings.webhook_secret_overlap_s,
            card_fingerprint_key=settings.card_fingerprint_key,
            webhook_allow_loopback=settings.is_dev,
        )


@dataclass
class Gateway:
    """The adapters of one process, built once and shared by every invocation."""

    config: LifecycleConfig
    payments: PaymentRepository
    webhooks: WebhookRepository
    merchants: MerchantRepository
    lock: IdempotencyLock
    queue: TaskQueue
    sender: WebhookSender
    replay_guard: ReplayGuard
    rate_limit: MerchantRateLimit
    resolver: HostResolver
    merchant_cache: TTLCache = field(default_factory=lambda: TTLCache(30.0))
    endpoint_cache: TTLCache = field(default_factory=lambda: TTLCache(2.0))
