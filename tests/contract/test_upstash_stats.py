"""Upstash REST emulator: `/_emulator/stats` counts every command as Upstash bills them."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
from upstash_redis.asyncio import Redis

from devstack.processes import ManagedProcess, free_port
from devstack.stack import StackConfig, upstash_process


async def test_every_command_is_counted_once_pipelines_included(
    stack_cfg: StackConfig, redis_service: ManagedProcess
) -> None:
    cfg = dataclasses.replace(stack_cfg, upstash_port=free_port(), echo=False)
    process = upstash_process(cfg)
    process.start()
    auth = {"Authorization": f"Bearer {cfg.upstash_token}"}
    stats = httpx.AsyncClient(base_url=cfg.upstash_url)
    try:
        before = (await stats.get("/_emulator/stats", headers=auth)).json()
        client = Redis(url=cfg.upstash_url, token=cfg.upstash_token)
        key = f"stats:{uuid.uuid4().hex}"
        for _ in range(4):
            await client.incr(key)
        pipeline = client.pipeline()
        pipeline.get(key)
        pipeline.expire(key, 60)
        pipeline.ttl(key)
        assert (await pipeline.exec())[0] == "4"
        transaction = client.multi()
        transaction.incr(key)
        transaction.delete(key)
        await transaction.exec()
        await client.close()
        unauthorised = await stats.get("/_emulator/stats")
        after = (await stats.get("/_emulator/stats", headers=auth)).json()
    finally:
        await stats.aclose()
        process.stop()
    assert unauthorised.status_code == 401
    assert after["commands"] - before["commands"] == 4 + 3 + 2
    assert after["requests"] - before["requests"] == 4 + 1 + 1
