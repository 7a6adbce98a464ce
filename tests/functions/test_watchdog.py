"""The watchdog: a payment whose worker died under a live lease is re-driven by the delayed
message the next delivery queued, through QStash, with no sweep."""

from __future__ import annotations

import httpx

from shared.domain import ids
from shared.domain.clock import utcnow
from shared.domain.payment import Payment, StoredResponse
from shared.domain.requests import PaymentCreate
from shared.services.context import Gateway
from shared.services.process_payment import process_payment
from shared.services.views import PaymentOut
from shared.web import bootstrap
from tests.functions.helpers import new_key, payment_body, wait_settled

DEAD_LEASE_S = 2


async def test_a_payment_held_by_a_dead_worker_is_finished_by_its_watchdog(
    fn_env: dict[str, str], payments_api: httpx.AsyncClient
) -> None:
    gw: Gateway = await bootstrap.gateway()
    payment = Payment.create(
        payment_id=ids.new_id(ids.PAYMENT),
        merchant_id="mer_demo",
        idempotency_key=new_key(),
        fingerprint="f" * 64,
        request=PaymentCreate.model_validate(payment_body()),
        max_attempts=3,
        now=utcnow(),
    )
    await gw.payments.insert(
        payment, StoredResponse(201, PaymentOut.from_domain(payment).as_json())
    )
    # A worker claimed it and died: PROCESSING under a lease nobody will finish.
    held = await gw.payments.save(
        payment,
        payment.claimed(now=utcnow(), lease_s=DEAD_LEASE_S, owner="dead", qstash_message_id="m1"),
    )
    assert held is not None
    # A redelivery arrives while the lease is still live: it answers 200 and does nothing but
    # queue the watchdog (before the watchdog, nothing came back until the sweeper).
    busy = await process_payment(gw, payment.id, payment.generation, message_id="m2")
    assert busy.http_status == 200 and busy.outcome == "in_progress"
    settled = await wait_settled(payments_api, payment.id, within_s=60)
    assert settled["status"] == "SUCCESS"
    assert settled["attempts"] == 1  # the take-over finishes the dead worker's attempt
