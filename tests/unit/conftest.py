"""The unit tier: use cases against in-memory fakes of their ports (no servers, seconds)."""

from __future__ import annotations

from typing import Any

from shared.services.context import Gateway
from shared.services.create_payment import CreateResult, create_payment
from shared.services.dispatch_webhook import dispatch_webhook
from shared.services.lifecycle_messages import DISPATCH_PATH, PROCESS_PATH
from shared.services.process_payment import process_payment
from shared.services.results import StepResult
from tests.fakes import FakeQueue
from tests.fakes.gateway import MERCHANT


def body(**overrides: Any) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "amount": 1999,
        "currency": "USD",
        "payment_method": {"type": "card", "card_number": "4242424242424242"},
        "user_id": "user_1",
    }
    payment.update(overrides)
    return payment


async def create(gw: Gateway, key: str = "key-1", **overrides: Any) -> CreateResult:
    return await create_payment(gw, MERCHANT, key, body(**overrides))


def queue(gw: Gateway) -> FakeQueue:
    assert isinstance(gw.queue, FakeQueue)
    return gw.queue


async def run_process(gw: Gateway, retried: int = 0) -> list[StepResult]:
    """Deliver every queued process message once, as QStash would."""
    results = []
    for message in queue(gw).take(PROCESS_PATH):
        results.append(
            await process_payment(
                gw,
                message.body["payment_id"],
                message.body["generation"],
                message_id=f"msg-{message.deduplication_id}-{retried}",
            )
        )
    return results


async def process_until_final(gw: Gateway, payment_id: str) -> list[int]:
    """Redeliver the payment's process message while it answers 5xx; the status sequence."""
    statuses: list[int] = []
    message = queue(gw).take(PROCESS_PATH)[0]
    for retried in range(message.retries + 1):
        result = await process_payment(
            gw, payment_id, message.body["generation"], message_id=f"msg-{retried}"
        )
        statuses.append(result.http_status)
        if result.http_status < 500:
            break
    return statuses


async def run_dispatch(gw: Gateway, max_rounds: int = 5) -> list[StepResult]:
    """Deliver queued dispatch messages, redelivering each on 5xx up to its retries."""
    results: list[StepResult] = []
    for message in queue(gw).take(DISPATCH_PATH):
        for retried in range(min(message.retries, max_rounds - 1) + 1):
            result = await dispatch_webhook(
                gw,
                message.body["delivery_id"],
                message.body["round"],
                retried=retried,
                message_id=f"msg-d-{retried}",
            )
            results.append(result)
            if result.http_status < 500:
                break
    return results
