"""Use case: the dashboard's numbers for one merchant."""

from __future__ import annotations

from datetime import timedelta

from shared.domain.clock import iso, utcnow
from shared.domain.refund import RefundStatus
from shared.domain.states import DeliveryStatus, PaymentStatus
from shared.services.ports import MetricsReader
from shared.services.views import MetricsOut

WINDOW_MINUTES = 30


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def merchant_metrics(repo: MetricsReader, merchant_id: str) -> MetricsOut:
    statuses = await repo.status_counts(merchant_id)
    status_counts = {s.value: statuses.get(s.value, 0) for s in PaymentStatus}
    succeeded = status_counts["SUCCESS"]
    failed = status_counts["FAILED"]
    methods = await repo.method_counts(merchant_id)
    deliveries = await repo.delivery_counts(merchant_id)
    delivery_counts = {s.value: deliveries.get(s.value, 0) for s in DeliveryStatus}
    settled_deliveries = delivery_counts["SUCCESS"] + delivery_counts["FAILED"]
    latency = await repo.latency_percentiles(merchant_id, (0.5, 0.95, 0.99))
    avg_retries = await repo.average_retries(merchant_id)

    now = utcnow().replace(second=0, microsecond=0)
    minutes = [now - timedelta(minutes=offset) for offset in range(WINDOW_MINUTES - 1, -1, -1)]
    labels = [(iso(m) or "")[:16] for m in minutes]
    counts = await repo.per_minute(merchant_id, labels[0])
    refunds = await repo.refund_counts(merchant_id)
    refund_counts = {s.value.lower(): refunds.get(s.value, 0) for s in RefundStatus}
    refunded = await repo.amount_refunded(merchant_id)
    return MetricsOut.model_validate(
        {
            "object": "metrics",
            "total": sum(status_counts.values()),
            "status_counts": status_counts,
            "success_rate": _rate(succeeded, succeeded + failed),
            "failure_rate": _rate(failed, succeeded + failed),
            "avg_retries": round(avg_retries, 4) if avg_retries is not None else 0.0,
            "payment_method_distribution": {
                m: methods.get(m, 0) for m in ("card", "upi", "wallet")
            },
            "webhooks": {
                "total": sum(delivery_counts.values()),
                **delivery_counts,
                "success_rate": _rate(delivery_counts["SUCCESS"], settled_deliveries),
            },
            "latency_ms": {"p50": latency[0.5], "p95": latency[0.95], "p99": latency[0.99]},
            "payments_per_minute": [
                {"minute": label + ":00Z", "count": counts.get(label, 0)} for label in labels
            ],
            "refunds": {
                "count": sum(refund_counts.values()),
                **refund_counts,
                "amount_refunded": sum(refunded.values()),
                "amount_refunded_by_currency": dict(sorted(refunded.items())),
            },
        }
    )
