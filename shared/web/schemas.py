"""Response and request models for the OpenAPI document (the public contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.requests import PaymentCreate


class PaymentCreateDoc(PaymentCreate):
    model_config = ConfigDict(title="PaymentCreate")


class PaymentMethodOut(BaseModel):
    type: Literal["card", "upi", "wallet"]
    brand: str | None = None
    last4: str | None = None
    vpa: str | None = None
    wallet: str | None = None


class FailureOut(BaseModel):
    code: str | None
    message: str | None


class PaymentOut(BaseModel):
    id: str = Field(examples=["pay_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX"])
    object: Literal["payment"]
    amount: int
    currency: str
    payment_method: PaymentMethodOut
    user_id: str
    description: str | None
    status: Literal["CREATED", "PROCESSING", "RETRYING", "SUCCESS", "FAILED"]
    attempts: int
    max_attempts: int
    retry_count: int
    failure: FailureOut | None
    webhook_status: Literal["PENDING", "SUCCESS", "FAILED", "SKIPPED"]
    idempotency_key: str
    metadata: dict[str, str]
    scenario: str | None
    created_at: str
    updated_at: str
    finalized_at: str | None


class PaymentEventOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    object: Literal["payment_event"]
    from_: str | None = Field(alias="from")
    to: str
    at: str
    attempt: int | None
    generation: int | None
    reason: str | None
    actor: str | None
    qstash_message_id: str | None


class DeliveryAttemptOut(BaseModel):
    attempt: int
    round: int
    status_code: int | None
    duration_ms: float | None
    error: str | None
    at: str | None


class WebhookDeliveryOut(BaseModel):
    id: str
    object: Literal["webhook_delivery"]
    payment_id: str
    endpoint_id: str
    endpoint_url: str
    event_id: str
    event_type: str
    status: Literal["PENDING", "SUCCESS", "FAILED"]
    attempt_count: int
    created_at: str | None
    updated_at: str | None
    payload: dict[str, Any]
    attempts: list[DeliveryAttemptOut]


class PaymentDetailOut(PaymentOut):
    events: list[PaymentEventOut]
    webhook_deliveries: list[WebhookDeliveryOut]


class PaymentListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[PaymentOut]
    has_more: bool


class WebhookEndpointOut(BaseModel):
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    enabled_events: list[str]
    description: str | None
    status: str
    created_at: str | None
    secret: str | None = Field(None, description="Only in the create and rotate responses")


class WebhookEndpointListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[WebhookEndpointOut]
    has_more: bool


class DeletedOut(BaseModel):
    id: str
    object: str
    deleted: Literal[True]


class MetricsOut(BaseModel):
    object: Literal["metrics"]
    total: int
    status_counts: dict[str, int]
    success_rate: float | None
    failure_rate: float | None
    avg_retries: float
    payment_method_distribution: dict[str, int]
    webhooks: dict[str, float | int | None]
    latency_ms: dict[str, int | None]
    payments_per_minute: list[dict[str, str | int]]
