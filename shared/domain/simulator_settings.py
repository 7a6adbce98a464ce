"""A merchant's simulator settings (`/v1/simulator`) and the deterministic draws they seed.

The settings are values: the outcome mix and gateway latency process_payment uses, and the
chaos dials (API faults, webhook chaos) the edges read. Each `SimulatorSettings` carries the
process's defaults (`Baseline`, from PAYGATE_OUTCOME_WEIGHTS, PAYGATE_GATEWAY_LATENCY_MS and
PAYGATE_SIMULATOR_SEED), so `in_force(now)` can fall back to them once `expires_at` passed.

Every random choice goes through `draw(seed, key, attempt, purpose)`: with a seed it is a pure
function of its arguments (SHA-256), so a run with the same seed and idempotency keys gives the
same outcomes on any stack, whatever ids the stack hands out or the order deliveries arrive in.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import datetime

BEFORE_COMMIT = "before_commit"
AFTER_COMMIT = "after_commit"
ERROR_MODES = (BEFORE_COMMIT, AFTER_COMMIT)
# What a simulated latency leaves of the function's deadline, to answer in time.
DEADLINE_MARGIN_S = 1.0


@dataclass(frozen=True)
class LatencyRange:
    """Milliseconds, `min` ≤ `max`; a draw is uniform over the integers between them."""

    min: int
    max: int


@dataclass(frozen=True)
class OutcomeWeights:
    success: int
    timeout: int
    hard_failure: int

    def as_list(self) -> list[int]:
        return [self.success, self.timeout, self.hard_failure]


@dataclass(frozen=True)
class ApiFaults:
    error_rate: float
    error_mode: str  # one of ERROR_MODES
    latency_ms: LatencyRange


@dataclass(frozen=True)
class WebhookChaos:
    drop_rate: float
    duplicate_rate: float
    bad_signature_rate: float
    delay_ms: LatencyRange


NO_LATENCY = LatencyRange(0, 0)
NO_API_FAULTS = ApiFaults(0.0, BEFORE_COMMIT, NO_LATENCY)
NO_WEBHOOK_CHAOS = WebhookChaos(0.0, 0.0, 0.0, NO_LATENCY)


@dataclass(frozen=True)
class Baseline:
    """The defaults of this process (its environment): what a reset or an expiry gives."""

    seed: int | None
    outcome_weights: OutcomeWeights
    gateway_latency_ms: LatencyRange


DEFAULT_BASELINE = Baseline(None, OutcomeWeights(70, 15, 15), LatencyRange(5, 40))


@dataclass(frozen=True)
class SimulatorSettings:
    version: int
    updated_at: datetime | None
    expires_at: datetime | None
    seed: int | None
    outcome_weights: OutcomeWeights
    gateway_latency_ms: LatencyRange
    api: ApiFaults
    webhooks: WebhookChaos
    baseline: Baseline = field(default=DEFAULT_BASELINE, compare=False, repr=False)

    @classmethod
    def defaults(
        cls,
        baseline: Baseline = DEFAULT_BASELINE,
        *,
        version: int = 0,
        updated_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> SimulatorSettings:
        """The baseline's values, no chaos (a merchant who never set anything, or reset)."""
        return cls(
            version=version,
            updated_at=updated_at,
            expires_at=expires_at,
            seed=baseline.seed,
            outcome_weights=baseline.outcome_weights,
            gateway_latency_ms=baseline.gateway_latency_ms,
            api=NO_API_FAULTS,
            webhooks=NO_WEBHOOK_CHAOS,
            baseline=baseline,
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def in_force(self, now: datetime) -> SimulatorSettings:
        """These settings, or the defaults once `expires_at` has passed (version, updated_at
        and the past `expires_at` kept, so a reader sees which settings ran out)."""
        if not self.expired(now):
            return self
        return SimulatorSettings.defaults(
            self.baseline,
            version=self.version,
            updated_at=self.updated_at,
            expires_at=self.expires_at,
        )

    @property
    def is_default(self) -> bool:
        """Whether every dial is at its default (the dashboard's banner shows otherwise)."""
        base = self.baseline
        return (
            self.seed == base.seed
            and self.outcome_weights == base.outcome_weights
            and self.gateway_latency_ms == base.gateway_latency_ms
            and self.api == NO_API_FAULTS
            and self.webhooks == NO_WEBHOOK_CHAOS
        )

    def with_baseline(self, baseline: Baseline) -> SimulatorSettings:
        return replace(self, baseline=baseline)


# --- deterministic draws ---------------------------------------------------------------

_SCALE = float(1 << 64)


def draw(seed: int | None, key: str, attempt: int, purpose: str) -> float:
    """A number in [0, 1): a pure function of the arguments when `seed` is set, else random.

    `key` is the idempotency key (never an id the stack generated), `attempt` the attempt
    (or delivery) number, `purpose` what is being decided (`outcome`, `latency`, …), so each
    decision has its own independent stream.
    """
    if seed is None:
        return random.random()
    material = f"{seed}\x1f{key}\x1f{attempt}\x1f{purpose}".encode()
    digest = hashlib.sha256(material).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def chance(rate: float, seed: int | None, key: str, attempt: int, purpose: str) -> bool:
    """True with probability `rate` (0 never, 1 always, without drawing at either end)."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    return draw(seed, key, attempt, purpose) < rate


def draw_ms(span: LatencyRange, seed: int | None, key: str, attempt: int, purpose: str) -> int:
    """An integer number of milliseconds in [span.min, span.max]."""
    if span.max <= span.min:
        return span.min
    width = span.max - span.min + 1
    return span.min + min(int(draw(seed, key, attempt, purpose) * width), width - 1)


def choose_index(weights: list[int], seed: int | None, key: str, attempt: int, purpose: str) -> int:
    """Index i with probability weights[i] / sum(weights) (weights non-negative, sum > 0)."""
    total = sum(weights)
    point = draw(seed, key, attempt, purpose) * total
    running = 0.0
    for index, weight in enumerate(weights):
        running += weight
        if point < running:
            return index
    return max(i for i, w in enumerate(weights) if w > 0)
