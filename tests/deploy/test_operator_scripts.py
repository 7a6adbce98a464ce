"""The operator scripts of the deploy guide, run against the local services."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx
from qstash import QStash

from infra.create_merchant import create_merchant
from infra.register_schedules import SCHEDULES, register
from shared.config import get_settings
from tests.deploy import serverless_config as sls


async def test_a_created_merchant_can_use_the_api(local_env: Any) -> None:
    merchant_id, api_key = create_merchant(
        local_env.mongodb_uri, get_settings().mongodb_db, "Acme Ltd"
    )
    assert merchant_id.startswith("mer_") and api_key.startswith("sk_live_")
    from functions.payments_api.app import app

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        ok = await client.get("/v1/payments", headers={"Authorization": f"Bearer {api_key}"})
        wrong = await client.get("/v1/payments", headers={"Authorization": "Bearer sk_live_x"})
    assert ok.status_code == 200 and ok.json()["data"] == []
    assert wrong.status_code == 401


def test_vercel_schedules_match_the_eventbridge_ones() -> None:
    """Same routes, same times as serverless.yml's schedules (QStash crons have 5 fields)."""
    as_eventbridge = {"*/15 * * * *": "rate(15 minutes)", "15 0 * * *": "cron(15 0 * * ? *)"}
    owner = {(r.method, r.path): r.function for r in sls.http_routes()}
    for schedule in SCHEDULES:
        function = owner[("POST", schedule.path)]
        assert sls.schedules()[function] == [as_eventbridge[schedule.cron]]


def test_schedules_are_registered_idempotently(local_env: Any) -> None:
    suffix = uuid.uuid4().hex[:8]
    mine = tuple(dataclasses.replace(s, schedule_id=f"{s.schedule_id}-{suffix}") for s in SCHEDULES)
    client = QStash(local_env.qstash_token, base_url=local_env.qstash_url)
    public_url = "https://paygate-api.example.com"
    try:
        assert register(client, public_url, mine) == [s.schedule_id for s in mine]
        assert register(client, public_url, mine) == [s.schedule_id for s in mine]
        found = {s.schedule_id: s for s in client.schedule.list()}
        for schedule in mine:
            assert found[schedule.schedule_id].destination == public_url + schedule.path
            assert found[schedule.schedule_id].cron == schedule.cron
    finally:
        for schedule in mine:
            client.schedule.delete(schedule.schedule_id)
