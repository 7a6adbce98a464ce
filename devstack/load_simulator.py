"""`paygate load --simulator FILE`: the merchant's simulator settings for the run, and back.

`applied(client, settings)` PUTs the file's settings before the run and, however the run ends
(an error, Ctrl-C), puts back the ones that were in force: a DELETE if those were the defaults,
else a PUT of them (a DELETE too if they can no longer be put, e.g. they expired meanwhile).
The run's checker is told which dials were on (`Chaos`), so it allows what they legitimately
change (a first attempt with a bad signature) and nothing more.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Doc = dict[str, Any]
SETTINGS_FIELDS = (
    "expires_at",
    "seed",
    "outcome_weights",
    "gateway_latency_ms",
    "api",
    "webhooks",
)


@dataclass(frozen=True)
class Chaos:
    """The dials of a run that change what the checker may observe."""

    bad_signatures: bool = False

    @classmethod
    def of(cls, settings: Doc | None) -> Chaos:
        hooks = (settings or {}).get("webhooks") or {}
        return cls(bad_signatures=float(hooks.get("bad_signature_rate") or 0) > 0)


def read_settings(path: Path) -> Doc:
    """A settings file: the `PUT /v1/simulator` object (extra fields of a GET are ignored)."""
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON file ({exc})") from exc
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: the settings must be a JSON object")
    return loaded


def settings_body(settings: Doc) -> Doc:
    return {name: settings[name] for name in SETTINGS_FIELDS if name in settings}


async def put_settings(client: httpx.AsyncClient, settings: Doc) -> Doc:
    response = await client.put("/v1/simulator", json=settings_body(settings))
    if response.status_code != 200:
        raise ValueError(f"PUT /v1/simulator answered {response.status_code}: {response.text}")
    body: Doc = response.json()
    return body


async def restore(client: httpx.AsyncClient, previous: Doc) -> None:
    if not previous.get("is_default", False):
        response = await client.put("/v1/simulator", json=settings_body(previous))
        if response.status_code == 200:
            return
    (await client.delete("/v1/simulator")).raise_for_status()


@asynccontextmanager
async def applied(client: httpx.AsyncClient, settings: Doc | None) -> AsyncIterator[Doc | None]:
    """`settings` in force for the block (nothing changes when None)."""
    if settings is None:
        yield None
        return
    found = await client.get("/v1/simulator")
    found.raise_for_status()
    previous: Doc = found.json()
    in_force = await put_settings(client, settings)
    try:
        yield in_force
    finally:
        await restore(client, previous)
