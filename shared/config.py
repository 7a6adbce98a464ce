"""The one settings class: every environment variable paygate reads is declared here.

Built once per process by `get_settings()`; services receive plain values, never this object's
globals, so tests can pass explicit ones. Secrets have dev defaults only: outside
`PAYGATE_ENV=dev|test` a missing or placeholder secret fails at start-up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The dev defaults live without pydantic, for the emulators (`shared.dev_credentials`).
from shared.dev_credentials import (
    DEV_CARD_FINGERPRINT_KEY,
    DEV_DEMO_WEBHOOK_SECRET,
    DEV_QSTASH_CURRENT_SIGNING_KEY,
    DEV_QSTASH_NEXT_SIGNING_KEY,
    DEV_QSTASH_TOKEN,
    DEV_UPSTASH_TOKEN,
)

MIN_CARD_FINGERPRINT_KEY_LENGTH = 32
DEV_SECRETS = {
    DEV_CARD_FINGERPRINT_KEY,
    DEV_QSTASH_TOKEN,
    DEV_QSTASH_CURRENT_SIGNING_KEY,
    DEV_QSTASH_NEXT_SIGNING_KEY,
    DEV_UPSTASH_TOKEN,
    "sk_test_demo",
    "",
}

DEFAULT_CURRENCIES = ("USD", "EUR", "GBP", "INR", "JPY", "AUD", "CAD", "SGD", "CHF", "KWD")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class SecretsLocation(BaseSettings):
    """Where the secrets are: read first, so secrets from SSM are validated with the rest."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    secrets_source: Literal["env", "ssm"] = Field(
        "env", validation_alias=AliasChoices("PAYGATE_SECRETS")
    )
    ssm_prefix: str = Field("/paygate/", validation_alias=AliasChoices("PAYGATE_SSM_PREFIX"))


class Settings(SecretsLocation):
    """Environment of one paygate process (function, dev stack or test)."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True)

    env: Literal["dev", "test", "production"] = Field(
        "dev", validation_alias=AliasChoices("PAYGATE_ENV")
    )
    log_level: str = Field("INFO", validation_alias=AliasChoices("PAYGATE_LOG_LEVEL"))

    # --- backing services -------------------------------------------------------------
    mongodb_uri: str = Field(
        "mongodb://127.0.0.1:27017", validation_alias=AliasChoices("MONGODB_URI")
    )
    mongodb_db: str = Field("paygate", validation_alias=AliasChoices("PAYGATE_MONGODB_DB"))
    upstash_redis_rest_url: str = Field(
        "http://127.0.0.1:8079", validation_alias=AliasChoices("UPSTASH_REDIS_REST_URL")
    )
    upstash_redis_rest_token: str = Field(
        DEV_UPSTASH_TOKEN, validation_alias=AliasChoices("UPSTASH_REDIS_REST_TOKEN")
    )
    qstash_url: str = Field("http://127.0.0.1:8080", validation_alias=AliasChoices("QSTASH_URL"))
    qstash_token: str = Field(DEV_QSTASH_TOKEN, validation_alias=AliasChoices("QSTASH_TOKEN"))
    qstash_current_signing_key: str = Field(
        DEV_QSTASH_CURRENT_SIGNING_KEY,
        validation_alias=AliasChoices("QSTASH_CURRENT_SIGNING_KEY"),
    )
    qstash_next_signing_key: str = Field(
        DEV_QSTASH_NEXT_SIGNING_KEY, validation_alias=AliasChoices("QSTASH_NEXT_SIGNING_KEY")
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias=AliasChoices("PAYGATE_PUBLIC_URL"),
        description="Base URL QStash calls back (the functions' public address).",
    )
    dependency_timeout_s: float = Field(
        3.0, validation_alias=AliasChoices("PAYGATE_DEPENDENCY_TIMEOUT_S"), gt=0
    )

    # --- payments ---------------------------------------------------------------------
    max_amount: int = Field(100_000_000, validation_alias=AliasChoices("PAYGATE_MAX_AMOUNT"), gt=0)
    currencies: Annotated[list[str], NoDecode] = Field(
        list(DEFAULT_CURRENCIES), validation_alias=AliasChoices("PAYGATE_CURRENCIES")
    )
    max_attempts: int = Field(3, validation_alias=AliasChoices("PAYGATE_MAX_ATTEMPTS"), ge=1, le=10)
    lease_seconds: int = Field(30, validation_alias=AliasChoices("PAYGATE_LEASE_SECONDS"), ge=1)
    stale_after_s: int = Field(
        300,
        validation_alias=AliasChoices("PAYGATE_STALE_AFTER_S"),
        ge=1,
        description="Age after which the sweeper republishes a CREATED or RETRYING payment.",
    )
    authorization_ttl_s: int = Field(
        7 * 24 * 3600,
        validation_alias=AliasChoices("PAYGATE_AUTHORIZATION_TTL_S"),
        ge=1,
        le=7 * 24 * 3600,  # QStash's longest delay on its free plan
        description="How long a manual-capture authorization waits before it is canceled.",
    )
    # A simulator: a dispute opens seconds after the payment in every environment, so a
    # merchant's test suite can wait for it. A deployment mimicking a real chargeback's lag
    # may raise it (hours), up to QStash's longest delay.
    dispute_delay_s: int = Field(
        5,
        validation_alias=AliasChoices("PAYGATE_DISPUTE_DELAY_S"),
        ge=1,
        le=7 * 24 * 3600,
        description="Delay between a 4000000000000259 payment's success and its dispute.",
    )
    dispute_decision_delay_s: int = Field(
        5,
        validation_alias=AliasChoices("PAYGATE_DISPUTE_DECISION_DELAY_S"),
        ge=1,
        le=7 * 24 * 3600,
        description="Delay between a dispute's evidence and its decision (WON or LOST).",
    )
    dispute_evidence_days: int = Field(
        7,
        validation_alias=AliasChoices("PAYGATE_DISPUTE_EVIDENCE_DAYS"),
        ge=1,
        le=60,
        description="Days a merchant has to answer a dispute (its evidence_due_by).",
    )
    card_fingerprint_key: str = Field(
        DEV_CARD_FINGERPRINT_KEY,
        validation_alias=AliasChoices("PAYGATE_CARD_FINGERPRINT_KEY"),
        repr=False,
        description="HMAC key for card numbers in idempotency fingerprints (32+ characters).",
    )
    idempotency_lock_ms: int = Field(
        10_000, validation_alias=AliasChoices("PAYGATE_IDEMPOTENCY_LOCK_MS"), ge=100
    )
    max_body_bytes: int = Field(
        32_768, validation_alias=AliasChoices("PAYGATE_MAX_BODY_BYTES"), ge=1024
    )

    # --- simulator --------------------------------------------------------------------
    outcome_weights: Annotated[list[int], NoDecode] = Field(
        [70, 15, 15],
        validation_alias=AliasChoices("PAYGATE_OUTCOME_WEIGHTS"),
        description="success,timeout,hard_failure weights for the random mix.",
    )
    simulator_seed: int | None = Field(
        None, validation_alias=AliasChoices("PAYGATE_SIMULATOR_SEED")
    )
    gateway_latency_ms: Annotated[list[int], NoDecode] = Field(
        [5, 40],
        validation_alias=AliasChoices("PAYGATE_GATEWAY_LATENCY_MS"),
        description="min,max simulated gateway latency in milliseconds.",
    )
    function_timeout_s: float = Field(
        25.0, validation_alias=AliasChoices("PAYGATE_FUNCTION_TIMEOUT_S"), gt=0
    )

    # --- webhooks ---------------------------------------------------------------------
    webhook_max_attempts: int = Field(
        5, validation_alias=AliasChoices("PAYGATE_WEBHOOK_MAX_ATTEMPTS"), ge=1, le=10
    )
    webhook_timeout_s: float = Field(
        10.0, validation_alias=AliasChoices("PAYGATE_WEBHOOK_TIMEOUT_S"), gt=0
    )
    webhook_secret_overlap_s: int = Field(
        86_400, validation_alias=AliasChoices("PAYGATE_WEBHOOK_SECRET_OVERLAP_S"), ge=0
    )
    webhook_disable_after: int = Field(
        20,
        validation_alias=AliasChoices("PAYGATE_WEBHOOK_DISABLE_AFTER"),
        ge=1,
        description="Consecutive FAILED deliveries after which an endpoint is disabled.",
    )
    webhook_redrive_after_s: float | None = Field(
        None,
        validation_alias=AliasChoices("PAYGATE_WEBHOOK_REDRIVE_AFTER_S"),
        gt=0,
        description="Age after which the sweeper re-publishes a PENDING webhook delivery; "
        "unset: computed from the QStash backoff, PAYGATE_WEBHOOK_MAX_ATTEMPTS and timeouts.",
    )
    flow_parallelism: int = Field(
        100,
        validation_alias=AliasChoices("PAYGATE_FLOW_PARALLELISM"),
        ge=0,
        description="QStash flow control: deliveries in flight per merchant and kind "
        "(payments and refunds; webhooks); 0 turns the limit off.",
    )
    flow_rate: int = Field(
        0,
        validation_alias=AliasChoices("PAYGATE_FLOW_RATE"),
        ge=0,
        description="QStash flow control: deliveries started per PAYGATE_FLOW_PERIOD_S per "
        "merchant and kind; 0 turns the limit off.",
    )
    flow_period_s: int = Field(
        1,
        validation_alias=AliasChoices("PAYGATE_FLOW_PERIOD_S"),
        ge=1,
        le=7 * 24 * 3600,
        description="The period of PAYGATE_FLOW_RATE, seconds (QStash allows up to a week).",
    )
    qstash_time_scale: float = Field(
        1.0,
        validation_alias=AliasChoices("PAYGATE_QSTASH_TIME_SCALE"),
        gt=0,
        description="The QStash emulator's time scale (dev); 1 for the real QStash.",
    )

    # --- API edge ---------------------------------------------------------------------
    rate_limit_per_second: int = Field(
        0,
        validation_alias=AliasChoices("PAYGATE_RATE_LIMIT_PER_SECOND"),
        ge=0,
        description="Requests per second per merchant; 0 turns rate limiting off.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        ["http://127.0.0.1:8000", "http://localhost:8000", "http://127.0.0.1:5173"],
        validation_alias=AliasChoices("PAYGATE_CORS_ORIGINS"),
    )
    auth_cache_s: float = Field(30.0, validation_alias=AliasChoices("PAYGATE_AUTH_CACHE_S"), ge=0)

    # --- dev mode ---------------------------------------------------------------------
    demo_api_key: str = Field("sk_test_demo", validation_alias=AliasChoices("PAYGATE_DEMO_API_KEY"))
    demo_webhook_url: str = Field(
        "http://127.0.0.1:8090/webhooks", validation_alias=AliasChoices("PAYGATE_DEMO_WEBHOOK_URL")
    )
    demo_webhook_secret: str = Field(
        DEV_DEMO_WEBHOOK_SECRET, validation_alias=AliasChoices("PAYGATE_DEMO_WEBHOOK_SECRET")
    )
    seed_demo: bool = Field(True, validation_alias=AliasChoices("PAYGATE_SEED_DEMO"))
    count_mongo_ops: bool = Field(
        False,
        validation_alias=AliasChoices("PAYGATE_COUNT_MONGO_OPS"),
        description="Local functions host: count Mongo commands, served at /dev/mongo_ops.",
    )

    # --- AWS (secrets_source and ssm_prefix: see SecretsLocation) ----------------------
    settlement_bucket: str = Field(
        "paygate-settlements", validation_alias=AliasChoices("PAYGATE_SETTLEMENT_BUCKET")
    )
    settlement_fee_bps: int = Field(
        0, validation_alias=AliasChoices("PAYGATE_SETTLEMENT_FEE_BPS"), ge=0, le=10_000
    )

    @field_validator(
        "currencies", "cors_origins", "outcome_weights", "gateway_latency_ms", mode="before"
    )
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("currencies")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [code.upper() for code in value]

    @field_validator("outcome_weights")
    @classmethod
    def _three_weights(cls, value: list[int]) -> list[int]:
        if len(value) != 3 or any(w < 0 for w in value) or sum(value) == 0:
            raise ValueError("PAYGATE_OUTCOME_WEIGHTS needs three non-negative weights")
        return value

    @field_validator("gateway_latency_ms")
    @classmethod
    def _latency_range(cls, value: list[int]) -> list[int]:
        if len(value) == 1:
            value = [value[0], value[0]]
        if len(value) != 2 or value[0] < 0 or value[1] < value[0]:
            raise ValueError("PAYGATE_GATEWAY_LATENCY_MS is 'min,max' with 0 <= min <= max")
        return value

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> Settings:
        if self.env == "production":
            for name in (
                "upstash_redis_rest_token",
                "qstash_token",
                "qstash_current_signing_key",
                "qstash_next_signing_key",
                "card_fingerprint_key",
            ):
                if getattr(self, name) in DEV_SECRETS:
                    raise ValueError(f"{name.upper()} must be set to a real secret in production")
            if len(self.card_fingerprint_key) < MIN_CARD_FINGERPRINT_KEY_LENGTH:
                raise ValueError(
                    "PAYGATE_CARD_FINGERPRINT_KEY must be at least "
                    f"{MIN_CARD_FINGERPRINT_KEY_LENGTH} characters in production"
                )
            self.seed_demo = False
        return self

    @property
    def is_dev(self) -> bool:
        return self.env in ("dev", "test")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once (a Lambda cold start reads them once too).

    With PAYGATE_SECRETS=ssm the secrets are fetched first and passed in: they win over the
    environment and are validated like it (production still refuses dev secrets).
    """
    from shared.adapters.secrets import load_secret_overrides

    overrides: dict[str, Any] = dict(load_secret_overrides(SecretsLocation()))
    return Settings(**overrides)
