"""Validated shapes of what merchants send (pydantic only; no I/O)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from shared.domain.payment_methods import normalise_card_number

MAX_METADATA_KEYS = 20
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
VPA_PATTERN = re.compile(r"^[A-Za-z0-9.\-_]{2,256}@[A-Za-z]{2,64}$")
EventType = Literal["payment.succeeded", "payment.failed", "payment.retrying"]
DEFAULT_EVENT_TYPES: tuple[EventType, ...] = ("payment.succeeded", "payment.failed")

ShortText = Annotated[str, Field(min_length=1, max_length=100)]


class Scenario(StrEnum):
    SUCCESS = "success"
    TIMEOUT = "timeout"
    HARD_FAILURE = "hard_failure"
    FLAKY = "flaky"
    RANDOM = "random"


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["card", "upi", "wallet"]
    card_number: str | None = Field(None, max_length=23)
    vpa: str | None = Field(None, max_length=320)
    wallet: str | None = Field(None, min_length=1, max_length=40)

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
    currency: Annotated[str, Field(min_length=3, max_length=3)]
    payment_method: PaymentMethodIn
    user_id: ShortText
    description: Annotated[str, Field(max_length=500)] | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    scenario: Scenario | None = None

    @field_validator("metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_METADATA_KEYS:
            raise ValueError(f"metadata takes at most {MAX_METADATA_KEYS} keys")
        for key, item in value.items():
            if not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
                raise ValueError(f"metadata keys are 1-{MAX_METADATA_KEY_LENGTH} characters")
            if len(item) > MAX_METADATA_VALUE_LENGTH:
                raise ValueError(f"metadata values are at most {MAX_METADATA_VALUE_LENGTH} chars")
        return value


class WebhookEndpointCreate(BaseModel):
    """Body of `POST /v1/webhook_endpoints`."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=8, max_length=2048, pattern=r"^https?://[^\s]+$")]
    enabled_events: list[EventType] = Field(
        default_factory=lambda: list(DEFAULT_EVENT_TYPES), min_length=1
    )
    description: Annotated[str, Field(max_length=500)] | None = None


def valid_idempotency_key(key: str | None) -> bool:
    return key is not None and bool(IDEMPOTENCY_KEY_PATTERN.match(key))
