"""QStash emulator: schedules with the SDK (create/list/get/pause/resume/delete, seconds cron)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from qstash import QStash, Receiver
from qstash.errors import QStashError

from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder

# fixtures shared by the QStash contract modules
qstash = helpers.qstash
recorder = helpers.recorder
verifier = helpers.verifier


async def test_schedule_lifecycle(recorder: Recorder, qstash: QStash) -> None:
    url = recorder.url(recorder.path())
    schedule_id = qstash.schedule.create_json(
        destination=url,
        cron="*/5 * * * *",
        body={"sweep": True},
        retries=1,
        headers={"X-Job": "sweep"},
        timeout=20,
        label="sweeper",
    )
    assert schedule_id.startswith("scd_")

    schedule = qstash.schedule.get(schedule_id)
    assert schedule.destination == url and schedule.cron == "*/5 * * * *"
    assert schedule.body == '{"sweep": true}' and schedule.retries == 1
    assert schedule.headers is not None and schedule.headers["X-Job"] == ["sweep"]
    assert schedule.timeout == 20 and schedule.label == "sweeper"
    assert schedule.paused is False
    assert schedule.next_schedule_time is not None
    assert schedule.next_schedule_time > time.time() * 1000
    assert schedule_id in [s.schedule_id for s in qstash.schedule.list()]

    qstash.schedule.pause(schedule_id)
    assert qstash.schedule.get(schedule_id).paused is True
    qstash.schedule.resume(schedule_id)
    assert qstash.schedule.get(schedule_id).paused is False

    # upsert with the same id keeps one schedule
    assert (
        qstash.schedule.create(destination=url, cron="0 * * * *", schedule_id=schedule_id)
        == schedule_id
    )
    assert qstash.schedule.get(schedule_id).cron == "0 * * * *"

    qstash.schedule.delete(schedule_id)
    with pytest.raises(QStashError, match="404"):
        qstash.schedule.get(schedule_id)
    assert schedule_id not in [s.schedule_id for s in qstash.schedule.list()]

    with pytest.raises(QStashError, match="400"):
        qstash.schedule.create(destination=url, cron="not a cron")


async def test_seconds_cron_fires_and_stops_when_paused(
    recorder: Recorder, qstash: QStash, verifier: Receiver
) -> None:
    path = recorder.path("cron")
    url = recorder.url(path)
    schedule_id = qstash.schedule.create_json(destination=url, cron="* * * * * *", body={"tick": 1})
    try:
        fired = await recorder.wait_for(path, 2, within=10)
        for request in fired:
            assert request.headers["upstash-schedule-id"] == schedule_id
            assert json.loads(request.body) == {"tick": 1}
            verifier.verify(
                signature=request.headers["upstash-signature"], body=request.body.decode(), url=url
            )
        # Every second: counted over a window, not timed per gap (a late tick on a busy machine
        # shifts one gap and shortens the next). A minute-granular cron fires at most once in
        # 4 s; a schedule firing more than once a tick fires far more than 4 + 2 times.
        before = len(recorder.received(path))
        await asyncio.sleep(4.0)
        fired_in_window = len(recorder.received(path)) - before
        assert 2 <= fired_in_window <= 6
        assert qstash.schedule.get(schedule_id).last_schedule_time is not None

        qstash.schedule.pause(schedule_id)
        await asyncio.sleep(0.3)  # a fire already published may still arrive
        count = len(recorder.received(path))
        await asyncio.sleep(1.6)
        assert len(recorder.received(path)) == count
    finally:
        qstash.schedule.delete(schedule_id)
