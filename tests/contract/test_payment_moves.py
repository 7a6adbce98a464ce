"""`PaymentRepository.save` of domain moves under concurrent movers, on nx-27017.

Hypothesis draws rounds of movers; in a round every mover reads the payment, then all of them
try to move it at once (`asyncio.gather`), each to a target of its own (legal or not). The
stored audit trail (`payment_events`) is then checked against the transition table of
`shared/domain/states.py`, independently of the code under test: every event is a legal move
that starts where the previous one ended, versions go up by exactly one per event, and each
race has exactly one winner when some mover's target was legal from the state they all read.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import AsyncMongoClient

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from shared.adapters.mongo import ensure_indexes
from shared.adapters.payment_repository import PaymentRepository
from shared.domain.clock import utcnow
from shared.domain.errors import IllegalTransition
from shared.domain.payment import Payment, StoredResponse
from shared.domain.states import TRANSITIONS, PaymentStatus, WebhookStatus

S = PaymentStatus
TARGETS = st.sampled_from(list(S))
# A round: the targets of its movers, and whether they line up (all read before any moves).
ROUND = st.tuples(st.lists(TARGETS, min_size=2, max_size=4), st.booleans())


@dataclass
class Attempt:
    read_status: str
    read_version: int
    target: S
    result: str  # "won" | "lost" | "illegal"
    version_after: int | None = None


def _payment(payment_id: str) -> Payment:
    now = utcnow()
    return Payment(
        id=payment_id,
        merchant_id="mer_moves",
        idempotency_key=payment_id,
        fingerprint="0" * 64,
        amount=100,
        currency="USD",
        payment_method={"type": "card", "brand": "visa", "last4": "4242"},
        user_id="user_moves",
        created_at=now,
        updated_at=now,
        max_attempts=3,
    )


async def _repository(
    uri: str, db_name: str
) -> tuple[AsyncMongoClient[dict[str, Any]], PaymentRepository]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    db = client[db_name]
    await ensure_indexes(db)
    return client, PaymentRepository(db)


async def _inserted(repo: PaymentRepository) -> str:
    """A new CREATED payment's id."""
    pid = f"pay_{uuid.uuid4().hex.upper()[:26]}"
    await repo.insert(_payment(pid), StoredResponse(201, {"created_at": "2031-01-01T00:00"}))
    return pid


async def _stored_rows(repo: PaymentRepository, pid: str) -> list[tuple[str, str]]:
    rows = await repo.events.find({"payment_id": pid}).sort("_id", 1).to_list(None)
    return [(row["from"], row["to"]) for row in rows]


async def _mover(
    repo: PaymentRepository, pid: str, target: S, barrier: asyncio.Barrier | None
) -> Attempt:
    current = await repo.get(pid)
    assert current is not None
    if barrier is not None:
        await barrier.wait()  # every mover of the round has read the same version
    attempt = Attempt(current.status.value, current.version, target, "lost")
    changes = {"attempts": current.attempts + 1} if target is S.PROCESSING else {}
    actor = f"mover-{uuid.uuid4().hex[:6]}"
    try:
        after = current.move(target, now=utcnow(), actor=actor, **changes)
    except IllegalTransition:
        attempt.result = "illegal"
        return attempt
    moved = await repo.save(current, after)
    if moved is not None:
        attempt.result, attempt.version_after = "won", moved.version
    return attempt


async def _run(uri: str, db_name: str, rounds: list[tuple[list[S], bool]]) -> None:
    client, repo = await _repository(uri, db_name)
    try:
        pid = await _inserted(repo)
        winners: list[Attempt] = []
        for targets, lined_up in rounds:
            barrier = asyncio.Barrier(len(targets)) if lined_up else None
            attempts = await asyncio.gather(*(_mover(repo, pid, t, barrier) for t in targets))
            winners += [a for a in attempts if a.result == "won"]
            for a in attempts:
                legal = a.target in TRANSITIONS[S(a.read_status)]
                assert (a.result == "illegal") == (not legal), a
            if lined_up:
                read = {(a.read_status, a.read_version) for a in attempts}
                assert len(read) == 1, read
                status = S(attempts[0].read_status)
                any_legal = any(t in TRANSITIONS[status] for t in targets)
                won = [a for a in attempts if a.result == "won"]
                assert len(won) == (1 if any_legal else 0), attempts
        await _check_trail(repo, pid, winners)
    finally:
        await client.close()


async def _check_trail(repo: PaymentRepository, pid: str, winners: list[Attempt]) -> None:
    stored = await repo.get(pid)
    assert stored is not None
    # The trail as the API reads it: a claim's row is written with the move after it.
    events = await repo.events_of(stored)
    # The trail in version order, the version read back from the event id (evt_<id>_<nnnn>).
    by_version = sorted(events, key=lambda e: int(e["_id"].rsplit("_", 1)[1]))
    versions = [int(e["_id"].rsplit("_", 1)[1]) for e in by_version]
    assert versions == list(range(1, len(events) + 1)), versions  # no gap, no duplicate
    assert stored.version == len(events) == len(winners)
    assert sorted(w.version_after for w in winners if w.version_after) == versions
    position = S.CREATED
    for event in by_version:
        assert event["from"] == position.value, by_version
        assert S(event["to"]) in TRANSITIONS[position], (event["from"], event["to"])
        position = S(event["to"])
    assert stored.status == position
    processing = sum(1 for e in by_version if e["to"] == S.PROCESSING.value)
    assert stored.attempts == processing


@pytest.mark.timeout(240)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=st.lists(ROUND, min_size=1, max_size=8))
def test_concurrent_movers_leave_a_legal_gapless_trail(
    stack_cfg: StackConfig, mongo_service: ManagedProcess, rounds: list[tuple[list[S], bool]]
) -> None:
    # A database of its own per test session run; nx-27017 keeps one SQLite file per database.
    asyncio.run(_run(stack_cfg.mongodb_uri, "contract_moves", rounds))


async def test_a_claims_row_is_written_with_the_move_that_ends_the_attempt(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> None:
    client, repo = await _repository(stack_cfg.mongodb_uri, "contract_moves")
    try:
        pid = await _inserted(repo)
        created = await repo.get(pid)
        assert created is not None
        claimed = await repo.save(
            created, created.move(S.PROCESSING, now=utcnow(), actor="t", attempts=1)
        )
        assert claimed is not None
        assert await _stored_rows(repo, pid) == []
        assert [(e["from"], e["to"]) for e in await repo.events_of(claimed)] == [
            ("CREATED", "PROCESSING")
        ]
        settled = await repo.save(claimed, claimed.move(S.SUCCESS, now=utcnow(), actor="t"))
        assert settled is not None
        both = [("CREATED", "PROCESSING"), ("PROCESSING", "SUCCESS")]
        assert await _stored_rows(repo, pid) == both
        assert [(e["from"], e["to"]) for e in await repo.events_of(settled)] == both
        # Written again (a mend, or a redelivered step): nothing doubles.
        await repo.ensure_event(settled)
        assert await _stored_rows(repo, pid) == both
        # A crash between the settling move and its insert loses both rows: whoever sees the
        # payment next writes them back from what the payment carries.
        await repo.events.delete_many({"payment_id": pid})
        await repo.ensure_event(settled)
        assert await _stored_rows(repo, pid) == both
    finally:
        await client.close()


async def test_a_lone_deliverys_webhook_status_lands_only_under_its_epoch(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> None:
    client, repo = await _repository(stack_cfg.mongodb_uri, "contract_moves")
    try:
        pid = await _inserted(repo)
        await repo.payments.update_one(
            {"_id": pid}, {"$set": {"webhook_status": "PENDING", "webhook_epoch": 3}}
        )
        assert not await repo.settle_lone_webhook_status(pid, 1, 2, WebhookStatus.SUCCESS)
        assert not await repo.settle_lone_webhook_status(pid, 2, 3, WebhookStatus.SUCCESS)
        stored = await repo.get(pid)
        assert stored is not None and stored.webhook_status == WebhookStatus.PENDING
        assert await repo.settle_lone_webhook_status(pid, 1, 3, WebhookStatus.FAILED)
        # Only from PENDING: a second settle (a duplicate delivery) changes nothing.
        assert not await repo.settle_lone_webhook_status(pid, 1, 3, WebhookStatus.SUCCESS)
        stored = await repo.get(pid)
        assert stored is not None and stored.webhook_status == WebhookStatus.FAILED
    finally:
        await client.close()


async def test_a_capture_from_a_stale_read_resets_its_webhook_status(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> None:
    """The capture reads the authorisation while its `payment.requires_capture` delivery is
    PENDING; the delivery then settles SUCCESS (no new version); the capture's save wins on
    the version and must still start `payment.succeeded` PENDING, not inherit SUCCESS."""
    client, repo = await _repository(stack_cfg.mongodb_uri, "contract_moves")
    try:
        pid = f"pay_{uuid.uuid4().hex.upper()[:26]}"
        authorised = replace(
            _payment(pid),
            status=S.REQUIRES_CAPTURE,
            version=3,
            webhook_epoch=1,
            webhook_status=WebhookStatus.PENDING,
        )
        await repo.insert(authorised, StoredResponse(201, {"created_at": "2031-01-01T00:00"}))
        before = await repo.get(pid)
        assert before is not None
        assert await repo.settle_lone_webhook_status(pid, 1, 1, WebhookStatus.SUCCESS)
        after = before.captured(100, now=utcnow(), webhook_status=WebhookStatus.PENDING)
        saved = await repo.save(before, after)
        assert saved is not None and saved.status == S.SUCCESS
        assert (saved.webhook_status, saved.webhook_epoch) == (WebhookStatus.PENDING, 2)
        assert saved.fanout_pending
        # The requires_capture delivery's settle, late again, cannot land under the new epoch.
        assert not await repo.settle_lone_webhook_status(pid, 1, 1, WebhookStatus.FAILED)
    finally:
        await client.close()


async def test_a_settling_move_counts_its_epoch_up_from_the_stored_one(
    stack_cfg: StackConfig, mongo_service: ManagedProcess
) -> None:
    """A redelivery of `payment.requires_capture` reopens the webhook status (epoch 1 → 2,
    no new version) after the capture read the payment: the capture's event must get epoch 3,
    not the redelivery's 2, or the redelivery's outcome could settle the new event."""
    client, repo = await _repository(stack_cfg.mongodb_uri, "contract_moves")
    try:
        pid = f"pay_{uuid.uuid4().hex.upper()[:26]}"
        authorised = replace(_payment(pid), status=S.REQUIRES_CAPTURE, version=3, webhook_epoch=1)
        await repo.insert(authorised, StoredResponse(201, {"created_at": "2031-01-01T00:00"}))
        before = await repo.get(pid)
        assert before is not None
        await repo.reopen_webhook_status(pid, 1)
        after = before.captured(100, now=utcnow(), webhook_status=WebhookStatus.PENDING)
        saved = await repo.save(before, after)
        assert saved is not None and saved.webhook_epoch == 3
        assert not await repo.settle_lone_webhook_status(pid, 1, 2, WebhookStatus.SUCCESS)
        assert await repo.settle_lone_webhook_status(pid, 1, 3, WebhookStatus.SUCCESS)
    finally:
        await client.close()
