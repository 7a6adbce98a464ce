"""create_payment against fakes: idempotency, validation, the unpublished fallback."""

from __future__ import annotations

import pytest

from shared.domain.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    InvalidRequest,
)
from shared.services.lifecycle_messages import PROCESS_PATH
from tests.fakes import fake_gateway
from tests.fakes.gateway import MERCHANT
from tests.unit.conftest import create, queue


async def test_a_new_payment_is_stored_created_and_queued_once() -> None:
    gw = fake_gateway()
    result = await create(gw)
    assert result.status_code == 201 and not result.replayed
    stored = await gw.payments.get(result.payment_id, MERCHANT)
    assert stored is not None and stored.status == "CREATED" and stored.published
    assert stored.payment_method == {"type": "card", "brand": "visa", "last4": "4242"}
    messages = queue(gw).take(PROCESS_PATH)
    assert [m.body for m in messages] == [{"payment_id": result.payment_id, "generation": 1}]
    assert messages[0].retries >= stored.max_attempts - 1


async def test_the_same_key_and_body_replays_the_first_answer() -> None:
    gw = fake_gateway()
    first = await create(gw)
    again = await create(gw)
    assert again.replayed and again.body == first.body and again.payment_id == first.payment_id
    assert len(queue(gw).take(PROCESS_PATH)) == 1


async def test_the_same_key_with_another_body_is_refused() -> None:
    gw = fake_gateway()
    await create(gw)
    with pytest.raises(IdempotencyKeyReused):
        await create(gw, amount=2000)


async def test_a_key_held_by_another_request_is_in_use() -> None:
    gw = fake_gateway()
    await gw.lock.acquire(f"idem:{MERCHANT}:key-1", 10_000)
    with pytest.raises(IdempotencyKeyInUse):
        await create(gw)


@pytest.mark.parametrize("key", [None, "", "has space", "x" * 256])
async def test_missing_or_malformed_keys_are_refused(key: str | None) -> None:
    from shared.services.create_payment import create_payment
    from tests.unit.conftest import body

    with pytest.raises(IdempotencyKeyMissing):
        await create_payment(fake_gateway(), MERCHANT, key, body())


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": 2_000_000}, "amount"),
        ({"currency": "XXX"}, "currency"),
        ({"payment_method": {"type": "card", "card_number": "4242424242424241"}}, None),
    ],
)
async def test_bad_requests_change_nothing(overrides: dict[str, object], param: str | None) -> None:
    gw = fake_gateway()
    with pytest.raises(InvalidRequest) as caught:
        await create(gw, **overrides)
    if param is not None:
        assert caught.value.param == param
    assert not gw.payments.rows and not queue(gw).published  # type: ignore[attr-defined]
    assert not gw.lock.held  # type: ignore[attr-defined]


async def test_a_failed_publish_leaves_the_payment_marked_for_the_sweeper() -> None:
    gw = fake_gateway()
    queue(gw).down = True
    result = await create(gw)
    assert result.status_code == 201
    stored = await gw.payments.get(result.payment_id)
    assert stored is not None and stored.status == "CREATED" and not stored.published
