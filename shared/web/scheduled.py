"""One Lambda entry point for a function that runs on a schedule and also answers HTTP.

EventBridge schedule events run the job directly; every other event goes through the app
(Mangum). Both run on the same event loop, kept for the life of the container, so the
clients bootstrap caches per loop are reused across warm invocations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

Job = Callable[[], Awaitable[dict[str, Any]]]
LambdaHandler = Callable[[dict[str, Any], Any], Any]


def is_scheduled(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event"


def _container_loop() -> asyncio.AbstractEventLoop:
    """The loop Mangum runs on too (it asks asyncio for the current one)."""
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop


def scheduled_or_http(app: FastAPI, job: Job) -> LambdaHandler:
    http_handler = Mangum(app, lifespan="off")

    def handler(event: dict[str, Any], context: Any) -> Any:
        if is_scheduled(event):
            return _container_loop().run_until_complete(job())
        return http_handler(event, context)

    return handler
