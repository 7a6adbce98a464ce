"""Validated shapes of what merchants send (pydantic only; no I/O)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from shared.domain.errors import InvalidRequest
from shared.domain.payment_methods import normalise_card_number
from shared.domain.simulator_requests import SimulateIn
from shared.domain.webhooks import DEFAULT_EVENT_TYPES, EventType

MAX_METADATA_KEYS = 20
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
VPA_PATTERN = re.compile(r"^[A-Za-z0-9.\-_]{2,256}@[A-Za-z]{2,64}$")

# C0 controls (NUL, newline, escape…) and DEL: never part of a name, an id or a description,
# and a classic way to split log lines or truncate strings in downstream systems.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def control_character_problem(value: str) -> str | None:
    found = CONTROL_CHARACTERS.search(value)
    if found is None:
        return None
    return f"must not contain control characters (found U+{ord(found.group()):04X})"


def _no_control_characters(value: str) -> str:
    problem = control_character_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]
ShortText = Annotated[Text, Field(min_length=1, max_length=100)]


class Scenario(StrEnum):
    SUCCESS = "success"
    TIMEOUT = "timeout"
    HARD_FAILURE = "hard_failure"
    FLAKY = "flaky"
    RANDOM = "random"


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["card", "upi", "wallet"]
    card_number: Text | None = Field(None, max_length=23)
    vpa: Text | None = Field(None, max_length=320)
    wallet: Text | None = Field(None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _details_match_type(self) -> PaymentMethodIn:
        if self.type == "card":
            if self.vpa is not None or self.wallet is not None:
                raise ValueError("a card payment method takes only card_number")
            if self.card_number is not None:
                self.card_number = normalise_card_number(self.card_number)
        elif self.type == "upi":
            if self.card_number is not None or self.wallet is not None:
                raise ValueError("a upi payment method takes only vpa")
            if self.vpa is None or not VPA_PATTERN.match(self.vpa):
                raise ValueError("vpa must look like name@bank")
        elif self.card_number is not None or self.vpa is not None:
            raise ValueError("a wallet payment method takes only wallet")
        return self


class PaymentCreate(BaseModel):
    """Body of `POST /v1/payments`."""

    model_config = ConfigDict(extra="forbid")

    amount: StrictInt
    currency: Annotated[Text, Field(min_length=3, max_length=3)]
    payment_method: PaymentMethodIn
    user_id: ShortText
    description: Annotated[Text, Field(max_length=500)] | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    scenario: Scenario | None = None
    capture_method: Literal["automatic", "manual"] = "automatic"
    simulate: SimulateIn | None = Field(
        None, description="Scripted attempts and latency; overrides scenario and magic values"
    )

    @field_validator("metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        return bounded_metadata(value)


def bounded_metadata(value: dict[str, str]) -> dict[str, str]:
    """Bounded metadata (payments and refunds alike)."""
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"metadata takes at most {MAX_METADATA_KEYS} keys")
    for key, item in value.items():
        if not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            raise ValueError(f"metadata keys are 1-{MAX_METADATA_KEY_LENGTH} characters")
        if (problem := control_character_problem(key)) is not None:
            raise ValueError(f"metadata keys {problem}")
        if len(item) > MAX_METADATA_VALUE_LENGTH:
            raise ValueError(f"metadata values are at most {MAX_METADATA_VALUE_LENGTH} chars")
        if (problem := control_character_problem(item)) is not None:
            raise InvalidRequest(f"metadata.{key}: {problem}", param=f"metadata.{key}")
    return value


RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]


class RefundCreate(BaseModel):
    """Body of `POST /v1/refunds`."""

    model_config = ConfigDict(extra="forbid")

    payment: Annotated[Text, Field(min_length=1, max_length=64, description="pay_ id")]
    amount: StrictInt | None = Field(
        None, description="Minor units; default: all that is left to refund"
    )
    reason: RefundReason | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        return bounded_metadata(value)


class PaymentCapture(BaseModel):
    """Body of `POST /v1/payments/{id}/capture` (empty: capture the whole authorization)."""

    model_config = ConfigDict(extra="forbid")

    amount: StrictInt | None = Field(None, description="Minor units, at most the authorised")


CancellationReason = Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"]


class PaymentCancel(BaseModel):
    """Body of `POST /v1/payments/{id}/cancel` (may be empty)."""

    model_config = ConfigDict(extra="forbid")

    reason: CancellationReason | None = None


MAX_EVIDENCE_LENGTH = 10_000
# Free text may span lines: newline and tab are allowed, every other control character is not.
EVIDENCE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _evidence_text(value: str) -> str:
    found = EVIDENCE_CONTROL_CHARACTERS.search(value)
    if found is not None:
        raise ValueError(
            "must not contain control characters other than newline and tab "
            f"(found U+{ord(found.group()):04X})"
        )
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class DisputeEvidence(BaseModel):
    """Body of `POST /v1/disputes/{id}/evidence`."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[
        StrictStr,
        Field(min_length=1, max_length=MAX_EVIDENCE_LENGTH),
        AfterValidator(_evidence_text),
    ] = Field(description="The merchant's evidence; `winning_evidence` in it wins (simulated)")


class DisputeClose(BaseModel):
    """Body of `POST /v1/disputes/{id}/close` (empty: there is nothing to say)."""

    model_config = ConfigDict(extra="forbid")


class WebhookEndpointCreate(BaseModel):
    """Body of `POST /v1/webhook_endpoints`."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[Text, Field(min_length=8, max_length=2048, pattern=r"^https?://[^\s]+$")]
    enabled_events: list[EventType] = Field(
        default_factory=lambda: list(DEFAULT_EVENT_TYPES), min_length=1
    )
    description: Annotated[Text, Field(max_length=500)] | None = None


class WebhookEndpointUpdate(BaseModel):
    """Body of `POST /v1/webhook_endpoints/{id}`: the fields given are replaced."""

    model_config = ConfigDict(extra="forbid")

    enabled_events: list[EventType] | None = Field(None, min_length=1)
    description: Annotated[Text, Field(max_length=500)] | None = None


class WebhookRecover(BaseModel):
    """Body of `POST /v1/webhook_endpoints/{id}/recover`."""

    model_config = ConfigDict(extra="forbid")

    since: Annotated[
        Text,
        Field(min_length=1, max_length=40, description="ISO-8601 time, e.g. 2026-01-31T12:00:00Z"),
    ]


def valid_idempotency_key(key: str | None) -> bool:
    return key is not None and bool(IDEMPOTENCY_KEY_PATTERN.match(key))
