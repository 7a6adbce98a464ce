"""The public shape of every object: one pydantic model each, built from the domain object.

Routes return these (so FastAPI validates what the OpenAPI document says) and webhook events
carry them (so an event's `data` is the object the API shows). `shared/web/schemas.py`
re-exports them for the routes.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.clock import iso
from shared.domain.dispute import Dispute
from shared.domain.payment import Failure, Payment
from shared.domain.refund import Refund
from shared.domain.simulator import Simulate
from shared.domain.simulator_settings import LatencyRange, SimulatorSettings

Doc = dict[str, Any]


def _absent(value: object) -> bool:
    return value is None


class PaymentMethodOut(BaseModel):
    """A card shows brand and last4, a UPI payment its masked VPA, a wallet its name: each
    method only the details it has (no null keys)."""

    type: Literal["card", "upi", "wallet"]
    brand: str | None = Field(None, exclude_if=_absent)
    last4: str | None = Field(None, exclude_if=_absent)
    vpa: str | None = Field(None, exclude_if=_absent)
    wallet: str | None = Field(None, exclude_if=_absent)


class FailureOut(BaseModel):
    code: str | None
    message: str | None
    advice_code: str | None = None

    @classmethod
    def of(cls, failure: Failure | None) -> Self | None:
        if failure is None:
            return None
        return cls(code=failure.code, message=failure.message, advice_code=failure.advice_code)


class SimulateOut(BaseModel):
    """The request's `simulate`, as it was accepted."""

    attempts: list[str] | None
    gateway_latency_ms: int | None

    @classmethod
    def of(cls, simulate: Simulate | None) -> Self | None:
        if simulate is None:
            return None
        attempts = None if simulate.attempts is None else list(simulate.attempts)
        return cls(attempts=attempts, gateway_latency_ms=simulate.gateway_latency_ms)


class PaymentOut(BaseModel):
    id: str = Field(examples=["pay_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX"])
    object: Literal["payment"]
    amount: int
    currency: str
    payment_method: PaymentMethodOut
    user_id: str
    description: str | None
    status: Literal[
        "CREATED", "PROCESSING", "RETRYING", "SUCCESS", "FAILED", "REQUIRES_CAPTURE", "CANCELED"
    ]
    capture_method: Literal["automatic", "manual"]
    amount_captured: int
    amount_refunded: int = Field(description="The sum of its succeeded refunds")
    cancellation_reason: str | None
    authorization_expires_at: str | None = Field(
        description="REQUIRES_CAPTURE only: when the uncaptured authorization is canceled"
    )
    attempts: int
    max_attempts: int
    retry_count: int
    failure: FailureOut | None
    webhook_status: Literal["PENDING", "SUCCESS", "FAILED", "SKIPPED"]
    idempotency_key: str
    metadata: dict[str, str]
    scenario: str | None
    simulate: SimulateOut | None = Field(
        description="Scripted attempts and gateway latency, as sent; null when not scripted"
    )
    created_at: str
    updated_at: str
    finalized_at: str | None

    @classmethod
    def from_domain(cls, payment: Payment) -> Self:
        failure = payment.failure
        return cls(
            id=payment.id,
            object="payment",
            amount=payment.amount,
            currency=payment.currency,
            payment_method=PaymentMethodOut(**payment.payment_method),
            user_id=payment.user_id,
            description=payment.description,
            status=payment.status.value,
            capture_method=payment.capture_method,
            amount_captured=payment.amount_captured,
            amount_refunded=payment.amount_refunded,
            cancellation_reason=payment.cancellation_reason,
            authorization_expires_at=iso(payment.authorization_expires_at),
            attempts=payment.attempts,
            max_attempts=payment.max_attempts,
            retry_count=payment.retry_count,
            failure=FailureOut(
                code=failure.code, message=failure.message, advice_code=failure.advice_code
            )
            if failure
            else None,
            webhook_status=payment.webhook_status.value,
            idempotency_key=payment.idempotency_key,
            metadata=payment.metadata,
            scenario=payment.scenario,
            simulate=SimulateOut.of(payment.simulate),
            created_at=iso(payment.created_at) or "",
            updated_at=iso(payment.updated_at) or "",
            finalized_at=iso(payment.finalized_at),
        )

    def as_json(self) -> Doc:
        """The JSON object the API and the webhook events show."""
        return self.model_dump(mode="json")


class PaymentEventOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    object: Literal["payment_event"]
    object_type: Literal["payment", "refund", "dispute"] = Field(
        description="What moved: the payment itself, one of its refunds, or its dispute"
    )
    object_id: str
    from_: str | None = Field(alias="from")
    to: str
    at: str
    attempt: int | None
    generation: int | None
    reason: str | None
    actor: str | None
    qstash_message_id: str | None

    @classmethod
    def from_record(cls, record: Doc) -> Self:
        """From a stored `payment_events` document."""
        return cls.model_validate(
            {
                "id": record["_id"],
                "object": "payment_event",
                "object_type": record.get("object_type", "payment"),
                "object_id": record.get("object_id", record.get("payment_id", "")),
                "from": record.get("from"),
                "to": record["to"],
                "at": iso(record["at"]),
                "attempt": record.get("attempt"),
                "generation": record.get("generation"),
                "reason": record.get("reason"),
                "actor": record.get("actor"),
                "qstash_message_id": record.get("qstash_message_id"),
            }
        )


class DeliveryAttemptOut(BaseModel):
    attempt: int
    round: int
    status_code: int | None
    duration_ms: float | None
    error: str | None
    at: str | None

    @classmethod
    def from_record(cls, record: Doc) -> Self:
        """From a stored `webhook_attempts` document."""
        return cls(
            attempt=record["attempt"],
            round=record.get("round", 0),
            status_code=record.get("status_code"),
            duration_ms=record.get("duration_ms"),
            error=record.get("error"),
            at=iso(record.get("at")),
        )


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

    @classmethod
    def from_record(cls, record: Doc, attempts: list[Doc]) -> Self:
        """From a stored `webhook_deliveries` document and attempts (those of others ignored)."""
        return cls(
            id=record["_id"],
            object="webhook_delivery",
            payment_id=record["payment_id"],
            endpoint_id=record["endpoint_id"],
            endpoint_url=record["endpoint_url"],
            event_id=record["event_id"],
            event_type=record["event_type"],
            status=record["status"],
            attempt_count=record.get("attempt_count", 0),
            created_at=iso(record.get("created_at")),
            updated_at=iso(record.get("updated_at")),
            payload=json.loads(record["body"]),
            attempts=[
                DeliveryAttemptOut.from_record(a)
                for a in attempts
                if a["delivery_id"] == record["_id"]
            ],
        )


class RefundOut(BaseModel):
    id: str = Field(examples=["re_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX"])
    object: Literal["refund"]
    payment: str
    amount: int
    currency: str
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None
    status: Literal["PENDING", "SUCCEEDED", "FAILED"]
    failure: FailureOut | None
    idempotency_key: str
    metadata: dict[str, str]
    created_at: str
    updated_at: str

    @classmethod
    def from_domain(cls, refund: Refund) -> Self:
        return cls.model_validate(
            {
                "id": refund.id,
                "object": "refund",
                "payment": refund.payment_id,
                "amount": refund.amount,
                "currency": refund.currency,
                "reason": refund.reason,
                "status": refund.status.value,
                "failure": FailureOut.of(refund.failure),
                "idempotency_key": refund.idempotency_key,
                "metadata": refund.metadata,
                "created_at": iso(refund.created_at) or "",
                "updated_at": iso(refund.updated_at) or "",
            }
        )

    def as_json(self) -> Doc:
        return self.model_dump(mode="json")


class RefundListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[RefundOut]
    has_more: bool


class DisputeOut(BaseModel):
    id: str = Field(examples=["dp_01JDV6ZQ6Y4V9J2M7ZB3N8K1QX"])
    object: Literal["dispute"]
    payment: str
    amount: int
    currency: str
    reason: Literal["fraudulent"]
    status: Literal["NEEDS_RESPONSE", "UNDER_REVIEW", "WON", "LOST"]
    evidence: str | None
    evidence_due_by: str
    created_at: str
    updated_at: str
    closed_at: str | None

    @classmethod
    def from_domain(cls, dispute: Dispute) -> Self:
        return cls(
            id=dispute.id,
            object="dispute",
            payment=dispute.payment_id,
            amount=dispute.amount,
            currency=dispute.currency,
            reason=dispute.reason,
            status=dispute.status.value,
            evidence=dispute.evidence,
            evidence_due_by=iso(dispute.evidence_due_by) or "",
            created_at=iso(dispute.created_at) or "",
            updated_at=iso(dispute.updated_at) or "",
            closed_at=iso(dispute.closed_at),
        )

    def as_json(self) -> Doc:
        """The JSON object the API and the webhook events show."""
        return self.model_dump(mode="json")


class DisputeListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[DisputeOut]
    has_more: bool


class PaymentDetailOut(PaymentOut):
    events: list[PaymentEventOut]
    webhook_deliveries: list[WebhookDeliveryOut]
    refunds: list[RefundOut]
    dispute: DisputeOut | None


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
    status: Literal["enabled", "disabled"]
    disabled_reason: str | None = Field(
        None, description="Why the endpoint was disabled (null while enabled)"
    )
    disabled_at: str | None = None
    consecutive_failures: int = Field(
        0, description="FAILED deliveries in a row; PAYGATE_WEBHOOK_DISABLE_AFTER disables it"
    )
    created_at: str | None
    secret: str | None = Field(None, description="Only in the create and rotate responses")
    previous_secret_expires_at: str | None = Field(
        None, description="Only in the rotate response: when the old secret stops signing"
    )

    @classmethod
    def from_record(cls, record: Doc, *, with_secret: bool = False) -> Self:
        """From a stored `webhook_endpoints` document; the secret only when asked for."""
        secret = {"secret": record["secret"]} if with_secret else {}
        return cls(
            id=record["_id"],
            object="webhook_endpoint",
            url=record["url"],
            enabled_events=record.get("enabled_events", []),
            description=record.get("description"),
            status="disabled" if record.get("status") == "disabled" else "enabled",
            disabled_reason=record.get("disabled_reason"),
            disabled_at=iso(record.get("disabled_at")),
            consecutive_failures=record.get("consecutive_failures", 0),
            created_at=iso(record.get("created_at")),
            **secret,
        )


class WebhookEndpointListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[WebhookEndpointOut]
    has_more: bool


class EventOut(BaseModel):
    """An event exactly as its webhooks carried it (the stored body, parsed)."""

    id: str = Field(examples=["evt_3f1c9a0b7d2e4c6a8b0f1e2d3c"])
    type: str = Field(examples=["payment.succeeded"])
    created_at: str
    data: dict[str, Any] = Field(description="The payment, refund or dispute, as it was then")

    @classmethod
    def from_record(cls, record: Doc) -> Self:
        """From a stored `events` document."""
        return cls.model_validate(json.loads(record["body"]))


class EventListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[EventOut]
    has_more: bool


class WebhookDeliveryListOut(BaseModel):
    object: Literal["list"]
    url: str
    data: list[WebhookDeliveryOut]
    has_more: bool


class RecoveryOut(BaseModel):
    object: Literal["recovery"]
    endpoint: str
    since: str
    count: int = Field(description="FAILED deliveries this call queued again")


class DeletedOut(BaseModel):
    id: str
    object: str
    deleted: Literal[True]


class RefundMetricsOut(BaseModel):
    count: int
    pending: int
    succeeded: int
    failed: int
    amount_refunded: int = Field(
        description="Sum of succeeded refunds in minor units, all currencies added up (one "
        "figure for a one-currency account; see amount_refunded_by_currency)"
    )
    amount_refunded_by_currency: dict[str, int] = Field(
        description="Sum of succeeded refunds per currency, minor units", examples=[{"USD": 1500}]
    )


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
    refunds: RefundMetricsOut


class SettlementReportOut(BaseModel):
    object: str = Field("settlement_report", examples=["settlement_report"])
    date: str = Field(examples=["2026-01-31"])
    url: str = Field(description="Presigned S3 GET URL of the CSV")
    expires_at: str = Field(description="When the URL stops working (ISO-8601 UTC)")


class LatencyRangeOut(BaseModel):
    min: int = Field(description="Milliseconds")
    max: int = Field(description="Milliseconds")

    @classmethod
    def of(cls, span: LatencyRange) -> Self:
        return cls(min=span.min, max=span.max)


class OutcomeWeightsOut(BaseModel):
    success: int
    timeout: int
    hard_failure: int


class ApiFaultsOut(BaseModel):
    error_rate: float = Field(description="Share of the merchant's POSTs answering 503")
    error_mode: Literal["before_commit", "after_commit"]
    latency_ms: LatencyRangeOut


class WebhookChaosOut(BaseModel):
    drop_rate: float
    duplicate_rate: float
    bad_signature_rate: float
    delay_ms: LatencyRangeOut


class SimulatorOut(BaseModel):
    """The merchant's simulator settings in force (after `expires_at`: the defaults, with the
    past `expires_at` shown, and `is_default` true)."""

    object: Literal["simulator"]
    version: int = Field(description="Bumped by every PUT and DELETE; 0: never set")
    updated_at: str | None
    expires_at: str | None = Field(description="When these settings fall back to the defaults")
    is_default: bool = Field(description="Whether every dial is at its default now")
    seed: int | None = Field(description="null: not deterministic")
    outcome_weights: OutcomeWeightsOut
    gateway_latency_ms: LatencyRangeOut
    api: ApiFaultsOut
    webhooks: WebhookChaosOut

    @classmethod
    def from_domain(cls, settings: SimulatorSettings) -> Self:
        weights, api, hooks = settings.outcome_weights, settings.api, settings.webhooks
        return cls(
            object="simulator",
            version=settings.version,
            updated_at=iso(settings.updated_at),
            expires_at=iso(settings.expires_at),
            is_default=settings.is_default,
            seed=settings.seed,
            outcome_weights=OutcomeWeightsOut(
                success=weights.success, timeout=weights.timeout, hard_failure=weights.hard_failure
            ),
            gateway_latency_ms=LatencyRangeOut.of(settings.gateway_latency_ms),
            api=ApiFaultsOut(
                error_rate=api.error_rate,
                error_mode="after_commit" if api.error_mode == "after_commit" else "before_commit",
                latency_ms=LatencyRangeOut.of(api.latency_ms),
            ),
            webhooks=WebhookChaosOut(
                drop_rate=hooks.drop_rate,
                duplicate_rate=hooks.duplicate_rate,
                bad_signature_rate=hooks.bad_signature_rate,
                delay_ms=LatencyRangeOut.of(hooks.delay_ms),
            ),
        )
