"""The scheduler loop: claim due messages in batches, deliver them concurrently, fire schedules.

Claiming moves a message from `qs:due` to `qs:inflight` with a lease (`LEASE_MS`), which
this process renews while the attempt runs. If the process dies, the lease runs out and
the message is claimed again: at-least-once. Within one process a message whose lease was
reclaimed while its attempt still runs is skipped, so it is never sent twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from emulators.qstash.delivery import Deliverer
from emulators.qstash.models import ClaimedMessage, now_ms
from emulators.qstash.schedules import Schedules
from emulators.qstash.store import Store

log = logging.getLogger("qstash.worker")

LEASE_MS = 5_000
RENEW_EVERY_S = 1.5
MAX_IDLE_S = 0.5
CLAIM_BATCH = 256
COALESCE_S = 0.002
STOP_GRACE_S = 5.0


class Worker:
    """Owns the delivery loop, the lease renewer and the in-flight attempts."""

    def __init__(
        self, store: Store, deliverer: Deliverer, schedules: Schedules, parallelism: int
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.schedules = schedules
        self.parallelism = parallelism
        self._slots = asyncio.Semaphore(parallelism)
        self._active: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._last_error_log = 0.0
        self._stopping = False

    @property
    def in_flight(self) -> int:
        """Attempts this process is running now (each holds one of its `parallelism` slots)."""
        return len(self._active)

    def wake(self) -> None:
        """Something became due (a publish): claim now instead of at the next timer."""
        self._wake.set()

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._run()), asyncio.create_task(self._renew())]

    async def stop(self) -> None:
        # A flag as well as cancel(): a cancellation racing a wake-up can be swallowed.
        self._stopping = True
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_S)
            for task in pending:  # still leased in Redis: redelivered after restart
                task.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log_error("scheduler loop")
                await asyncio.sleep(MAX_IDLE_S)

    async def _tick(self) -> None:
        self._wake.clear()
        now = now_ms()
        limit = min(self.parallelism - len(self._active), CLAIM_BATCH)
        claim = await self.store.claim(now, max(limit, 0), now + LEASE_MS)
        for message in claim.messages:
            if message.id not in self._active:
                self._start(message)
        if claim.next_schedule_ms is not None and claim.next_schedule_ms <= now:
            await self.schedules.fire_due(now)
            return
        if limit > 0 and len(claim.messages) == limit:
            return  # a full batch: more may be due
        candidates = [claim.next_schedule_ms, claim.next_lease_expiry_ms]
        if len(self._active) < self.parallelism:
            candidates.append(claim.next_due_ms)
        wake_at = min((c for c in candidates if c is not None), default=None)
        timeout = MAX_IDLE_S if wake_at is None else (wake_at - now) / 1000
        timeout = min(max(timeout, 0.0), MAX_IDLE_S)
        if timeout <= 0:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            return
        await asyncio.sleep(COALESCE_S)  # let a burst of publishes land in one claim

    def _start(self, message: ClaimedMessage) -> None:
        self._active.add(message.id)
        task = asyncio.create_task(self._deliver(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, message: ClaimedMessage) -> None:
        try:
            async with self._slots:
                await self.deliverer.deliver(message)
        except Exception:
            # The lease is left to expire, so the message is attempted again.
            self._log_error(f"delivery of {message.id}")
        finally:
            self._active.discard(message.id)
            self._wake.set()

    async def _renew(self) -> None:
        while not self._stopping:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                await self.store.renew(list(self._active), now_ms() + LEASE_MS)
            except Exception:
                self._log_error("lease renewal")

    def _log_error(self, what: str) -> None:
        now = time.monotonic()
        if now - self._last_error_log > 5.0:  # at most one traceback every 5 s
            self._last_error_log = now
            log.exception("%s failed", what)
