"""Validated shapes of the simulator's inputs: `PUT /v1/simulator` and a payment's `simulate`.

Bounds that depend on the deployment (latencies under the function deadline, expiry in the
future) are checked by the use cases with `latency_limit_ms`; everything else is here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from shared.domain.errors import InvalidRequest
from shared.domain.simulator import Simulate, script_entry_problem
from shared.domain.simulator_settings import (
    DEADLINE_MARGIN_S,
    ApiFaults,
    Baseline,
    LatencyRange,
    OutcomeWeights,
    SimulatorSettings,
    WebhookChaos,
)

MAX_SCRIPT_ATTEMPTS = 10
MAX_SEED = 2**53 - 1  # a JavaScript number holds it exactly (the dashboard edits it)
MAX_WEIGHT = 1_000_000
# An absolute ceiling before the deployment's own (function deadline) is applied.
MAX_LATENCY_MS = 900_000


def latency_limit_ms(function_timeout_s: float) -> int:
    """The longest simulated latency a function can wait and still answer before its deadline."""
    return max(0, int((function_timeout_s - DEADLINE_MARGIN_S) * 1000))


def _iso_string(value: object) -> object:
    """Only an ISO-8601 string is a time here (not a number read as a Unix timestamp)."""
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO-8601 date-time string with a time zone, or null")
    return value


Rate = Annotated[StrictFloat, Field(ge=0, le=1, allow_inf_nan=False)]
Millis = Annotated[StrictInt, Field(ge=0, le=MAX_LATENCY_MS)]
Weight = Annotated[StrictInt, Field(ge=0, le=MAX_WEIGHT)]
Moment = Annotated[AwareDatetime | None, BeforeValidator(_iso_string)]


class LatencyRangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: Millis
    max: Millis

    @model_validator(mode="after")
    def _ordered(self) -> LatencyRangeIn:
        if self.min > self.max:
            raise ValueError("min must be at most max")
        return self

    def to_domain(self) -> LatencyRange:
        return LatencyRange(self.min, self.max)


class OutcomeWeightsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    success: Weight
    timeout: Weight
    hard_failure: Weight

    @model_validator(mode="after")
    def _positive_sum(self) -> OutcomeWeightsIn:
        if self.success + self.timeout + self.hard_failure == 0:
            raise ValueError("the weights must not all be 0")
        return self


class ApiFaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error_rate: Rate
    error_mode: Literal["before_commit", "after_commit"]
    latency_ms: LatencyRangeIn


class WebhookChaosIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drop_rate: Rate
    duplicate_rate: Rate
    bad_signature_rate: Rate
    delay_ms: LatencyRangeIn


class SimulatorSettingsIn(BaseModel):
    """Body of `PUT /v1/simulator`: the whole object. The read-only fields a GET shows
    (`object`, `version`, `updated_at`, `is_default`) may be sent back and are ignored."""

    model_config = ConfigDict(extra="forbid")

    object: Literal["simulator"] | None = None
    version: Any = Field(None, description="Read-only; ignored")
    updated_at: Any = Field(None, description="Read-only; ignored")
    is_default: Any = Field(None, description="Read-only; ignored")
    expires_at: Moment = Field(description="In the future; then back to defaults. null: never")
    seed: Annotated[StrictInt, Field(ge=0, le=MAX_SEED)] | None = Field(
        description="null: not deterministic"
    )
    outcome_weights: OutcomeWeightsIn
    gateway_latency_ms: LatencyRangeIn
    api: ApiFaultsIn
    webhooks: WebhookChaosIn

    def to_domain(self, baseline: Baseline) -> SimulatorSettings:
        weights = self.outcome_weights
        return SimulatorSettings(
            version=0,
            updated_at=None,
            expires_at=self.expires_at,
            seed=self.seed,
            outcome_weights=OutcomeWeights(weights.success, weights.timeout, weights.hard_failure),
            gateway_latency_ms=self.gateway_latency_ms.to_domain(),
            api=ApiFaults(
                float(self.api.error_rate), self.api.error_mode, self.api.latency_ms.to_domain()
            ),
            webhooks=WebhookChaos(
                float(self.webhooks.drop_rate),
                float(self.webhooks.duplicate_rate),
                float(self.webhooks.bad_signature_rate),
                self.webhooks.delay_ms.to_domain(),
            ),
            baseline=baseline,
        )


def check_settings_bounds(
    settings: SimulatorSettings, *, function_timeout_s: float, now: datetime
) -> None:
    """The deployment's bounds: latencies a function can wait out, an expiry still to come."""
    limit = latency_limit_ms(function_timeout_s)
    for param, span in (
        ("gateway_latency_ms.max", settings.gateway_latency_ms),
        ("api.latency_ms.max", settings.api.latency_ms),
        ("webhooks.delay_ms.max", settings.webhooks.delay_ms),
    ):
        if span.max > limit:
            raise InvalidRequest(
                f"{param}: must be at most {limit} (the function deadline less a margin)",
                param=param,
            )
    if settings.expires_at is not None and settings.expires_at <= now:
        raise InvalidRequest("expires_at: must be in the future", param="expires_at")


def check_simulate_latency(simulate: SimulateIn | None, function_timeout_s: float) -> None:
    """A payment's scripted `simulate.gateway_latency_ms` fits under the function deadline."""
    limit = latency_limit_ms(function_timeout_s)
    if simulate is not None and (simulate.gateway_latency_ms or 0) > limit:
        param = "simulate.gateway_latency_ms"
        raise InvalidRequest(
            f"{param}: must be at most {limit} (the function deadline less a margin)",
            param=param,
        )


class SimulateIn(BaseModel):
    """A payment's `simulate`: what each attempt does, and a fixed gateway latency."""

    model_config = ConfigDict(extra="forbid")

    attempts: list[StrictStr] | None = Field(
        None,
        min_length=1,
        max_length=MAX_SCRIPT_ATTEMPTS,
        description="Attempt n takes entry n, the last repeats: success, timeout, "
        "processing_error, decline or decline:<failure code>",
    )
    gateway_latency_ms: Millis | None = None

    @field_validator("attempts")
    @classmethod
    def _known_entries(cls, value: list[str] | None) -> list[str] | None:
        for index, entry in enumerate(value or ()):
            problem = script_entry_problem(entry)
            if problem is not None:
                param = f"simulate.attempts[{index}]"
                raise InvalidRequest(f"{param}: {problem}", param=param)
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> SimulateIn:
        if self.attempts is None and self.gateway_latency_ms is None:
            raise ValueError("simulate takes attempts, gateway_latency_ms or both")
        return self

    def to_domain(self) -> Simulate:
        attempts = None if self.attempts is None else tuple(self.attempts)
        return Simulate(attempts=attempts, gateway_latency_ms=self.gateway_latency_ms)
