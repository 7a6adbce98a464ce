"""The models of the OpenAPI document: the public objects (defined once, in
`shared/services/views.py`) and the documented request bodies."""

from __future__ import annotations

from pydantic import ConfigDict

from shared.domain.requests import PaymentCreate, RefundCreate
from shared.services.views import (
    DeletedOut,
    DeliveryAttemptOut,
    DisputeListOut,
    DisputeOut,
    EventListOut,
    EventOut,
    FailureOut,
    MetricsOut,
    PaymentDetailOut,
    PaymentEventOut,
    PaymentListOut,
    PaymentMethodOut,
    PaymentOut,
    RecoveryOut,
    RefundListOut,
    RefundMetricsOut,
    RefundOut,
    SettlementReportOut,
    SimulatorOut,
    WebhookDeliveryListOut,
    WebhookDeliveryOut,
    WebhookEndpointListOut,
    WebhookEndpointOut,
)


class PaymentCreateDoc(PaymentCreate):
    model_config = ConfigDict(title="PaymentCreate")


class RefundCreateDoc(RefundCreate):
    model_config = ConfigDict(title="RefundCreate")


__all__ = [
    "DeletedOut",
    "DeliveryAttemptOut",
    "DisputeListOut",
    "DisputeOut",
    "EventListOut",
    "EventOut",
    "FailureOut",
    "MetricsOut",
    "PaymentCreateDoc",
    "PaymentDetailOut",
    "PaymentEventOut",
    "PaymentListOut",
    "PaymentMethodOut",
    "PaymentOut",
    "RecoveryOut",
    "RefundCreateDoc",
    "RefundListOut",
    "RefundMetricsOut",
    "RefundOut",
    "SettlementReportOut",
    "SimulatorOut",
    "WebhookDeliveryListOut",
    "WebhookDeliveryOut",
    "WebhookEndpointListOut",
    "WebhookEndpointOut",
]
