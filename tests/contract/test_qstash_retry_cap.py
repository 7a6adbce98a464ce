"""QStash emulator: `--max-retry-delay` caps the wait before a retry (the fault stacks use it
so a delivery's last retry cannot come minutes after its first)."""

from __future__ import annotations

import itertools

from qstash import AsyncQStash

from devstack.processes import ManagedProcess
from devstack.stack import StackConfig
from tests.contract import qstash_helpers as helpers
from tests.contract.qstash_helpers import Recorder, private_qstash, url_of

recorder = helpers.recorder  # fixture shared by the QStash contract modules
CAP_S = 0.5


async def test_retry_waits_are_capped(
    recorder: Recorder, stack_cfg: StackConfig, redis_service: ManagedProcess
) -> None:
    process = private_qstash(stack_cfg, redis_db=8, qstash_max_retry_delay_s=CAP_S)
    process.start()
    try:
        client = AsyncQStash(stack_cfg.qstash_token, base_url=url_of(process))
        # Both failures answer Retry-After 1000 s: 10 s at the time scale 0.01, CAP_S capped.
        path = recorder.on(
            recorder.path("capped"),
            fail_times=2,
            fail_status=429,
            fail_headers={"Retry-After": "1000"},
        )
        await client.message.publish_json(url=recorder.url(path), body={}, retries=2)
        got = await recorder.wait_for(path, 3, within=15)
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(got)]
        assert [r.retried for r in got] == [0, 1, 2]
        assert all(CAP_S - 0.05 <= gap < 5.0 for gap in gaps), gaps
    finally:
        process.stop()
