"""Handlers: QStash's flow-control management API (the SDK's `client.flow_control`).

`GET /v2/flowControl[/{key}]` reports a key's limits and counters, `GET /v2/globalParallelism`
this process's delivery slots; `POST /v2/flowControl/{key}/{pause,resume,pin,unpin,resetRate}`
change how CLAIM admits the key's messages. The state sits in the key's flow-control hash in
Redis (see lua.py `_FLOW`), so it survives a restart, and each change is one script call.

Choices where QStash does not say: a management POST on a key no message has used yet creates
it (a key can be paused before its first publish); `unpin` with no parameter unpins both;
pinning only `period` keeps the key's current rate (refused if it has none).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from emulators.qstash.context import Context
from emulators.qstash.flow_control import (
    DEFAULT_PERIOD_MS,
    MAX_KEY_LENGTH,
    MAX_PERIOD_MS,
    FlowControlError,
    positive,
)
from emulators.qstash.models import now_ms
from emulators.qstash.routing import Request, Response, error, json_response

ACTIONS = ("pause", "resume", "pin", "unpin", "resetRate")
_INFO_FIELDS = (
    "waitListSize",
    "parallelismMax",
    "parallelismCount",
    "rateMax",
    "rateCount",
    "ratePeriod",
    "ratePeriodStart",
    "isPaused",
    "isPinnedParallelism",
    "isPinnedRate",
)


async def list_flow_controls(ctx: Context, req: Request) -> Response:
    """Every key seen, sorted by name (the docs' list is a JSON array of key objects)."""
    return json_response([_info_json(k, n) for k, n in await ctx.store.flow_info(None, now_ms())])


async def get_flow_control(ctx: Context, req: Request, key: str) -> Response:
    rows = await ctx.store.flow_info(unquote(key), now_ms())
    if not rows:
        return error(404, "flow control key not found")
    return json_response(_info_json(*rows[0]))


async def global_parallelism(ctx: Context, req: Request) -> Response:
    """The worker's delivery slots (`--parallelism`) and how many attempts hold one now."""
    in_flight = ctx.worker.in_flight if ctx.worker is not None else 0
    return json_response({"parallelismMax": ctx.options.parallelism, "parallelismCount": in_flight})


async def manage(ctx: Context, req: Request, key: str, action: str) -> Response:
    key = unquote(key)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        return error(400, f"flow control key must be 1-{MAX_KEY_LENGTH} characters")
    try:
        args = _args(action, req.params())
    except FlowControlError as exc:
        return error(400, str(exc))
    now = now_ms()
    refused = await ctx.store.flow_manage(key, action, now, args)
    if refused is not None:
        return error(400, refused)
    ctx.wake(now)
    return Response(200)


def _args(action: str, params: dict[str, list[str]]) -> list[str]:
    """The script's extra ARGV for `action`, validated (FlowControlError = 400)."""
    if action == "pin":
        values = {name: _single(params, name) for name in ("parallelism", "rate", "period")}
        if all(v is None for v in values.values()):
            raise FlowControlError("pin needs parallelism, rate or period")
        parallelism, rate, period = (
            "" if raw is None else str(positive(name, raw)) for name, raw in values.items()
        )
        if period:
            period_ms = int(period) * 1000
            if period_ms > MAX_PERIOD_MS:
                raise FlowControlError("flow control period must be at most a week")
            period = str(period_ms)
        return [parallelism, rate, period, str(DEFAULT_PERIOD_MS)]
    if action == "unpin":
        flags = [_flag(params, "parallelism"), _flag(params, "rate")]
        if flags == [None, None]:
            return ["1", "1"]
        return ["1" if flag else "0" for flag in flags]
    return []


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise FlowControlError(f"{name} given more than once")
    return values[0]


def _flag(params: dict[str, list[str]], name: str) -> bool | None:
    raw = _single(params, name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise FlowControlError(f"unpin {name} must be true or false")
    return raw.lower() == "true"


def _info_json(key: str, numbers: list[int]) -> dict[str, Any]:
    """A FLOW_INFO row as QStash's FlowControl object (period in s, window start unix s)."""
    out: dict[str, Any] = {"flowControlKey": key, **dict(zip(_INFO_FIELDS, numbers, strict=True))}
    out["ratePeriod"] //= 1000
    out["ratePeriodStart"] //= 1000
    for flag in ("isPaused", "isPinnedParallelism", "isPinnedRate"):
        out[flag] = bool(out[flag])
    return out
