"""What every use case is handed: its ports and the plain configuration values it needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.services.cache import TTLCache
from shared.services.ports import (
    Counter,
    DisputeStore,
    HostResolver,
    Lock,
    MerchantStore,
    PaymentStore,
    RateLimit,
    RefundStore,
    ReplayGuard,
    SimulatorStore,
    TaskQueue,
    WebhookSender,
    WebhookStore,
)

# ≤ 1 s, so a simulator settings change is in force in every process within 2 s (DESIGN.md).
SIMULATOR_CACHE_TTL_S = 1.0


@dataclass(frozen=True)
class LifecycleConfig:
    """The settings the use cases read (built from `shared.config.Settings` by bootstrap)."""

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
    authorization_ttl_s: int
    webhook_secret_overlap_s: int
    webhook_redrive_after_s: float
    card_fingerprint_key: str = field(repr=False)
    webhook_allow_loopback: bool = False  # dev/test mode: loopback webhook URLs are fine
    dispute_delay_s: int = 5
    dispute_decision_delay_s: int = 5
    dispute_evidence_days: int = 7
    webhook_disable_after: int = 20


@dataclass
class Gateway:
    """The ports of one process, built once and shared by every invocation."""

    config: LifecycleConfig
    payments: PaymentStore
    webhooks: WebhookStore
    merchants: MerchantStore
    lock: Lock
    queue: TaskQueue
    sender: WebhookSender
    replay_guard: ReplayGuard
    rate_limit: RateLimit
    resolver: HostResolver
    refunds: RefundStore
    disputes: DisputeStore
    counters: Counter
    simulator: SimulatorStore
    merchant_cache: TTLCache = field(default_factory=lambda: TTLCache(30.0))
    endpoint_cache: TTLCache = field(default_factory=lambda: TTLCache(2.0))
    simulator_cache: TTLCache = field(default_factory=lambda: TTLCache(SIMULATOR_CACHE_TTL_S))
