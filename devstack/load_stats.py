"""Numbers for a load report: percentiles and the summary of a settled run."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from devstack.load_client import Timings
from devstack.load_collect import Collected
from devstack.load_records import SentPayment


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 2)


def latency(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "max_ms": round(max(values), 2) if values else None,
    }


def _seconds(start: Any, end: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start).total_seconds() * 1000
    return None


def summarise(
    sent: list[SentPayment],
    timings: Timings,
    data: Collected | None,
    send_s: float,
    settle_s: float | None,
) -> dict[str, Any]:
    originals = [s for s in sent if s.duplicate_of is None]
    accepted = [s for s in originals if s.accepted]
    summary: dict[str, Any] = {
        "requests": {
            "keys": len(originals),
            "duplicates": len(sent) - len(originals),
            "accepted": len(accepted),
            "not_accepted": len([s for s in sent if not s.accepted]),
            "http_tries": sum(s.tries for s in sent),
            "first_try_status": dict(Counter(str(s.first_status) for s in sent)),
        },
        "latency": {
            "create": latency(timings.created),
            "replay": latency(timings.replayed),
            "refused_or_retried": latency(timings.retried),
        },
        "throughput": {
            "send_seconds": round(send_s, 3),
            "accepted_per_s": round(len(accepted) / send_s, 1) if send_s > 0 else None,
            "settle_seconds": round(settle_s, 3) if settle_s is not None else None,
            "payments_per_s_end_to_end": (round(len(accepted) / settle_s, 1) if settle_s else None),
        },
    }
    summary["money"] = _money_requests(originals)
    if data is not None:
        summary.update(_outcomes(data, originals))
        summary["objects"] = {
            "payments": dict(Counter(p.get("status") for p in data.payments.values())),
            "refunds": dict(Counter(r.get("status") for r in data.refunds.values())),
            "disputes": dict(Counter(d.get("status") for d in data.disputes.values())),
        }
        summary["money"]["amounts"] = {
            "captured": sum(int(p.get("amount_captured") or 0) for p in data.payments.values()),
            "refunded": sum(int(p.get("amount_refunded") or 0) for p in data.payments.values()),
        }
    return summary


def _money_requests(originals: list[SentPayment]) -> dict[str, Any]:
    """What the merchant's side of the run asked for (captures, cancels, refunds, disputes)."""
    plans = [s.money for s in originals if s.money is not None and s.accepted]
    refunds = [r for p in plans for r in p.sent_refunds]
    return {
        "planned": len(plans),
        "captures": dict(Counter(p.capture for p in plans if p.capture_amount is not None)),
        "cancels": dict(Counter(p.cancel for p in plans if p.canceled)),
        "refund_requests": {
            "keys": len([r for r in refunds if r.replay_of is None and not r.over_limit]),
            "accepted": len([r for r in refunds if r.accepted and r.replay_of is None]),
            "replays": len([r for r in refunds if r.replay_of is not None]),
            "over_limit_refused": len([r for r in refunds if r.over_limit and not r.accepted]),
            "http_tries": sum(r.tries for r in refunds),
        },
        "dispute_answers": dict(
            Counter(p.dispute for p in plans if p.dispute and (p.evidence or p.closed))
        ),
        "errors": sum(len(p.errors) for p in plans),
    }


def _outcomes(data: Collected, originals: list[SentPayment]) -> dict[str, Any]:
    payments = list(data.payments.values())
    statuses = Counter(p.get("status") for p in payments)
    final = statuses["SUCCESS"] + statuses["FAILED"]  # canceled ones never got an answer
    kinds = {s.key: s.kind for s in originals}
    by_kind: dict[str, Counter[str]] = {}
    for payment in payments:
        kind = kinds.get(payment.get("idempotency_key", ""), "?")
        by_kind.setdefault(kind, Counter())[payment.get("status", "?")] += 1
    deliveries = [d for items in data.deliveries.values() for d in items]
    received = [r for r in data.receiver_records if r.get("payment_id") in data.payments]
    lifetimes = [
        ms
        for p in payments
        if (ms := _seconds(p.get("created_at"), p.get("finalized_at"))) is not None
    ]
    attempts = sum(len(items) for items in data.attempts.values())
    return {
        "payments": {
            "total": len(payments),
            "by_status": dict(statuses),
            "by_kind": {kind: dict(counts) for kind, counts in sorted(by_kind.items())},
            "success_rate": round(statuses["SUCCESS"] / final, 4) if final else None,
            "attempts_total": sum(p.get("attempts", 0) for p in payments),
            "retries_total": sum(p.get("retry_count", 0) for p in payments),
            "avg_retries": (
                round(sum(p.get("retry_count", 0) for p in payments) / len(payments), 4)
                if payments
                else None
            ),
            "create_to_final": latency(lifetimes),
        },
        "webhooks": {
            "by_webhook_status": dict(Counter(p.get("webhook_status") for p in payments)),
            "deliveries_by_status": dict(Counter(d.get("status") for d in deliveries)),
            "delivery_attempts": attempts,
            "receptions": len(received),
            # One event reaches every endpoint under one id: a redelivery is a repeat at one.
            "redeliveries": len(received)
            - len({(r.get("webhook_id"), r.get("endpoint")) for r in received}),
            "deliveries_by_event_type": dict(Counter(d.get("event_type") for d in deliveries)),
            "received_by_event_type": dict(
                Counter(
                    r.get("event_type") for r in {r.get("webhook_id"): r for r in received}.values()
                )
            ),
        },
    }
