"""The money movements of a load run: what the merchant does once its payments have answered.

`MoneyDriver` runs beside the sender. It polls where the run's planned payments stand (one
query for all of them, through the run's source) and, per `MoneyPlan`: captures an
authorised payment (whole or in part) or cancels it (once authorised, or as soon as it can
be: right after the create, or, for one that will be retried, while it is RETRYING); once a
payment is SUCCESS, sends its 1 to 3 partial refunds at once (each with its own
Idempotency-Key), replays the first key, and asks for one more than is left (which must be
refused); once its dispute opens, sends evidence or accepts it. Every request is retried
through outages like the creates (`request_until_answered`); a 409 means the object moved
meanwhile, and the next poll sees where to. What was asked for is recorded on the plan for
the invariant checker.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from devstack.load_client import Answer, request_until_answered
from devstack.load_collect import ApiSource, MongoSource
from devstack.load_mix import KINDS
from devstack.load_records import (
    CANCEL_EARLY,
    CAPTURE_FULL,
    DISPUTE_ACCEPT,
    DISPUTE_WIN,
    WINNING_EVIDENCE,
    MoneyPlan,
    SentPayment,
    SentRefund,
)

POLL_S = 0.5
BUSY_POLL_S = 1.0  # with many plans open, each poll reads many payments: poll less often
BUSY_PLANS = 100
ACTION_TIMEOUT_S = 60.0
MAX_ROUNDS = 8  # requests of one step answered 409 before the plan gives up on it
CANCELABLE = ("CREATED", "RETRYING", "REQUIRES_CAPTURE")
RETRY_CANCELABLE = ("RETRYING", "REQUIRES_CAPTURE")  # a payment that will be retried
FINAL = ("SUCCESS", "FAILED", "CANCELED")
WIN_TEXT = f"{WINNING_EVIDENCE}: signed proof of delivery"
LOSE_TEXT = "the customer was sent a reminder"
Doc = dict[str, Any]
Step = Callable[[], Coroutine[Any, Any, None]]


def refund_amounts(captured: int, count: int) -> list[int]:
    """`count` partial refunds that together leave something of `captured` unrefunded."""
    share = max(1, captured // (count + 1))
    return [share] * count if share * count < captured else []


class MoneyDriver:
    """Carries out the plans of `items` (the run's requests) once their payments allow."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        source: MongoSource | ApiSource,
        items: list[SentPayment],
        rng: random.Random,
        concurrency: int,
    ) -> None:
        self.client, self.source, self.rng = client, source, rng
        self.items = [s for s in items if s.duplicate_of is None and s.money is not None]
        self.limit = asyncio.Semaphore(max(1, concurrency))
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.rounds: dict[tuple[str, str], int] = {}
        self.deadline = math.inf  # set once the sender is done
        self.sending_done = False

    @property
    def open_plans(self) -> list[SentPayment]:
        return [s for s in self.items if s.accepted and not _plan(s).done]

    @property
    def refunded(self) -> list[str]:
        """The payments the run sent refunds for."""
        return [str(s.payment_id) for s in self.items if _plan(s).sent_refunds]

    @property
    def total(self) -> int:
        return len(self.items)

    def on_accepted(self, item: SentPayment) -> None:
        """Right after the create, an early cancel races the gateway's first answer; for a
        payment that will be retried it waits for the poll to see it RETRYING."""
        retried = item.kind in KINDS and KINDS[item.kind].attempts != 1
        if item.money is not None and item.money.cancel == CANCEL_EARLY and not retried:
            self._spawn(item, "cancel", lambda: self._cancel(item))

    async def run(self, on_progress: Callable[[int, int], None] | None = None) -> bool:
        """Until every plan is done (True) or the deadline passed (False)."""
        while True:
            open_ = self.open_plans
            if on_progress is not None:
                on_progress(self.total - len(open_), self.total)
            if self.sending_done and not open_ and not self.tasks:
                return True
            if time.monotonic() >= self.deadline:
                for item in open_:
                    _plan(item).errors.append("not done before the deadline")
                for task in self.tasks.values():
                    task.cancel()
                return False
            idle = [s for s in open_ if s.key not in self.tasks]
            if idle:
                await self._poll(idle)
            await asyncio.sleep(BUSY_POLL_S if len(open_) > BUSY_PLANS else POLL_S)

    async def _poll(self, items: list[SentPayment]) -> None:
        try:
            states = await self.source.states([str(s.payment_id) for s in items])
            disputed = [
                str(s.payment_id)
                for s in items
                if _plan(s).dispute and states.get(str(s.payment_id), {}).get("status") == "SUCCESS"
            ]
            disputes = await self.source.disputes_of(disputed) if disputed else {}
        except Exception:  # a database or API being restarted by a fault test
            return
        for item in items:
            state = states.get(str(item.payment_id))
            if state is not None:
                self._step(item, state, disputes.get(str(item.payment_id), []))

    def _step(self, item: SentPayment, state: Doc, disputes: list[Doc]) -> None:
        """The plan's next request for a payment in `state`, or the plan marked done."""
        plan, status = _plan(item), state.get("status")
        if plan.cancel is not None:
            early = plan.cancel == CANCEL_EARLY and status in self._cancelable(item)
            if early or status == "REQUIRES_CAPTURE":
                self._spawn(item, "cancel", lambda: self._cancel(item))
            elif status in FINAL:
                plan.done = True
        elif plan.capture is not None and status == "REQUIRES_CAPTURE":
            self._spawn(item, "capture", lambda: self._capture(item, int(state["amount"])))
        elif status in ("FAILED", "CANCELED"):
            plan.done = True
        elif status == "SUCCESS" and plan.refunds and not plan.sent_refunds:
            captured = int(state.get("amount_captured") or 0)
            self._spawn(item, "refund", lambda: self._refund(item, captured))
        elif status == "SUCCESS" and plan.dispute and not (plan.evidence or plan.closed):
            if disputes:
                self._spawn(item, "dispute", lambda: self._answer(item, disputes[0]))
        elif status == "SUCCESS":
            plan.done = True

    @staticmethod
    def _cancelable(item: SentPayment) -> tuple[str, ...]:
        retried = item.kind in KINDS and KINDS[item.kind].attempts != 1
        return RETRY_CANCELABLE if retried else CANCELABLE

    def _spawn(self, item: SentPayment, step: str, make: Step) -> None:
        if item.key in self.tasks:
            return
        rounds = self.rounds.get((item.key, step), 0) + 1
        self.rounds[item.key, step] = rounds
        if rounds > MAX_ROUNDS:
            _plan(item).errors.append(f"{step}: still not done after {MAX_ROUNDS} rounds")
            _plan(item).done = True
            return

        async def guarded() -> None:
            try:
                async with self.limit:
                    await make()
            finally:
                self.tasks.pop(item.key, None)

        self.tasks[item.key] = asyncio.create_task(guarded())

    async def _post(self, path: str, body: Doc, key: str | None = None) -> Answer:
        deadline = min(time.monotonic() + ACTION_TIMEOUT_S, self.deadline)
        headers = {"Idempotency-Key": key} if key else None
        return await request_until_answered(
            self.client, "POST", path, json=body, headers=headers, deadline=deadline, rng=self.rng
        )

    async def _capture(self, item: SentPayment, amount: int) -> None:
        plan = _plan(item)
        full = plan.capture == CAPTURE_FULL
        plan.capture_amount = amount if full else max(1, amount * 3 // 4)
        body = {} if full else {"amount": plan.capture_amount}
        answer = await self._post(f"/v1/payments/{item.payment_id}/capture", body)
        _note(plan, "capture", answer, ok=(200, 409))

    async def _cancel(self, item: SentPayment) -> None:
        plan = _plan(item)
        body = {"reason": "requested_by_customer"}
        answer = await self._post(f"/v1/payments/{item.payment_id}/cancel", body)
        plan.canceled = plan.canceled or answer.status == 200
        _note(plan, "cancel", answer, ok=(200, 409))

    async def _refund(self, item: SentPayment, captured: int) -> None:
        plan, pid = _plan(item), str(item.payment_id)
        amounts = refund_amounts(captured, plan.refunds)
        refunds = [SentRefund(f"{item.key}-re{n}", pid, a) for n, a in enumerate(amounts)]
        plan.sent_refunds += refunds
        await asyncio.gather(*(self._send_refund(r) for r in refunds))
        if not refunds:
            plan.errors.append(f"refund: nothing to refund of {captured}")
            return
        first = refunds[0]
        replay = SentRefund(first.key, pid, first.amount, replay_of=first.key)
        plan.sent_refunds.append(replay)
        await self._send_refund(replay)
        if item.kind != "refund_fails":  # failed refunds free their share: no bound to probe
            left = captured - sum(amounts)
            over = SentRefund(f"{item.key}-re-over", pid, left + 1, over_limit=True)
            plan.sent_refunds.append(over)
            await self._send_refund(over)

    async def _send_refund(self, refund: SentRefund) -> None:
        answer = await self._post("/v1/refunds", refund.body, key=refund.key)
        refund.tries, refund.status_code = answer.tries, answer.status
        if answer.status == 201 and answer.response is not None:
            refund.accepted = True
            refund.refund_id = answer.json().get("id")
            refund.replayed = answer.response.headers.get("idempotent-replayed") == "true"
        elif answer.status is not None:
            refund.error, refund.error_code = "rejected", answer.error_code
        else:
            refund.error = answer.error

    async def _answer(self, item: SentPayment, dispute: Doc) -> None:
        plan = _plan(item)
        plan.dispute_id = dispute["id"]
        if dispute.get("status") != "NEEDS_RESPONSE":
            plan.errors.append(f"dispute: {dispute.get('status')} before it was answered")
            plan.done = True
            return
        if plan.dispute == DISPUTE_ACCEPT:
            answer = await self._post(f"/v1/disputes/{dispute['id']}/close", {})
            plan.closed = answer.status in (200, 409)
        else:
            text = WIN_TEXT if plan.dispute == DISPUTE_WIN else LOSE_TEXT
            answer = await self._post(f"/v1/disputes/{dispute['id']}/evidence", {"text": text})
            if answer.status in (200, 409):
                plan.evidence = text
        _note(plan, "dispute", answer, ok=(200, 409))


def _plan(item: SentPayment) -> MoneyPlan:
    assert item.money is not None
    return item.money


def _note(plan: MoneyPlan, step: str, answer: Answer, ok: tuple[int, ...]) -> None:
    """A refused or unanswered request is an error of the plan (409: moved meanwhile)."""
    if answer.status not in ok:
        code = answer.error_code or answer.error
        plan.errors.append(f"{step}: {answer.status} {code}")


async def stop(driver: MoneyDriver) -> None:
    for task in list(driver.tasks.values()):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
