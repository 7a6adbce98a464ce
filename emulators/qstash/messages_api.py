"""Handlers: publish, enqueue, batch, messages get/cancel, signing keys, events."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote

from emulators.qstash.context import Context
from emulators.qstash.delivery import new_message_id
from emulators.qstash.models import NewMessage, now_ms
from emulators.qstash.publish import is_url, parse_publish
from emulators.qstash.routing import Request, Response, error, json_response
from emulators.qstash.url_groups import Target, targets
from emulators.qstash.views import message_json

_TOKEN_PARAM = re.compile(r"(^|&)qstash_token=[^&]*")


def destination_of(raw: str, query: str) -> str:
    """The destination from the raw path remainder plus the raw query (minus `qstash_token`)."""
    if raw[:8].lower() in ("http%3a%", "https%3a"):
        raw = unquote(raw)  # a fully percent-encoded destination
    query = _TOKEN_PARAM.sub("", query).lstrip("&")
    return f"{raw}?{query}" if query else raw


async def publish(ctx: Context, req: Request, dest: str, queue: str | None = None) -> Response:
    destination = destination_of(dest, req.query)
    found = await targets(ctx, destination)
    if found is None:
        return error(404, f"url group {destination!r} not found")
    body = await req.body()
    messages = _messages(ctx, req.headers, found, body, req.client_ip, queue)
    results = await ctx.store.publish(messages)
    entries = _entries(ctx, messages, results, found)
    if is_url(destination):
        [entry] = entries
        entry.pop("url")
        return json_response(entry, 202 if entry.get("deduplicated") else 201)
    return json_response(entries, 201)


async def enqueue(ctx: Context, req: Request, queue: str, dest: str) -> Response:
    return await publish(ctx, req, dest, queue=unquote(queue))


async def batch(ctx: Context, req: Request) -> Response:
    """One entry per input: an object for a URL, a list for a URL group."""
    try:
        entries = await req.json()
    except ValueError:
        return error(400, "body must be a JSON array")
    if not isinstance(entries, list):
        return error(400, "body must be a JSON array")
    plans = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("destination"), str):
            return error(400, "every batch entry needs a destination")
        destination = entry["destination"]
        found = await targets(ctx, destination)
        if found is None:
            return error(404, f"url group {destination!r} not found")
        headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
        raw_body = entry.get("body")
        body = raw_body.encode() if isinstance(raw_body, str) else b""
        messages = _messages(ctx, headers, found, body, req.client_ip, entry.get("queue"))
        plans.append((destination, found, messages))
    all_messages = [m for _, _, messages in plans for m in messages]
    results = iter(await ctx.store.publish(all_messages) if all_messages else [])
    out: list[Any] = []
    for destination, found, messages in plans:
        done = _entries(ctx, messages, [next(results) for _ in messages], found)
        if is_url(destination):
            done[0].pop("url")
            out.append(done[0])
        else:
            out.append(done)
    return json_response(out, 201)


def _messages(
    ctx: Context,
    headers: dict[str, str],
    found: list[Target],
    body: bytes,
    caller_ip: str | None,
    queue: str | None,
) -> list[NewMessage]:
    now = now_ms()
    messages = []
    for target in found:
        request = parse_publish(headers, target.url, body, now, caller_ip)
        spec, dedup = request.spec, request.dedup_key
        if queue:
            spec["queue_name"] = queue
        if target.group is not None:
            spec["topic_name"] = target.group
            if target.endpoint:
                spec["endpoint_name"] = target.endpoint
            if dedup is not None:  # one deduplication per endpoint of the group
                dedup += ":" + hashlib.sha256(target.url.encode()).hexdigest()[:16]
        messages.append(NewMessage(new_message_id(), spec, body, request.due_ms, dedup))
    return messages


def _entries(
    ctx: Context, messages: list[NewMessage], results: list[str | None], found: list[Target]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message, duplicate_of, target in zip(messages, results, found, strict=True):
        ctx.wake(message.due_ms)
        entry: dict[str, Any] = {"messageId": duplicate_of or message.id, "url": target.url}
        if duplicate_of is not None:
            entry["deduplicated"] = True
        out.append(entry)
    return out


async def get_message(ctx: Context, req: Request, message_id: str) -> Response:
    found = await ctx.store.get_message(message_id)
    if found is None:
        return error(404, "message not found")
    spec, body, _ = found
    return json_response(message_json(message_id, spec, body))


async def cancel_message(ctx: Context, req: Request, message_id: str) -> Response:
    cancelled = await ctx.store.cancel([message_id])
    if not cancelled:
        return error(404, "message not found")
    await _record_cancel(ctx, cancelled)
    return json_response({"cancelled": 1}, 202)


async def cancel_messages(ctx: Context, req: Request) -> Response:
    """`{"messageIds": [...]}` or `?messageIds=` cancels those; no ids cancels everything."""
    ids = req.params().get("messageIds") or []
    try:
        data = await req.json()
    except ValueError:
        return error(400, "body must be JSON")
    if isinstance(data, dict) and isinstance(data.get("messageIds"), list):
        ids += [str(i) for i in data["messageIds"]]
    cancelled = await ctx.store.cancel(ids or None)
    await _record_cancel(ctx, cancelled)
    return json_response({"cancelled": len(cancelled)})


async def _record_cancel(ctx: Context, cancelled: list[tuple[str, Any]]) -> None:
    now = now_ms()
    await ctx.store.add_events(
        [
            {"time": now, "messageId": mid, "state": "CANCELED", "url": spec.get("url", "")}
            for mid, spec in cancelled
        ]
    )


async def get_keys(ctx: Context, req: Request) -> Response:
    return json_response({"current": ctx.signer.current, "next": ctx.signer.next})


async def rotate_keys(ctx: Context, req: Request) -> Response:
    ctx.signer.rotate()
    return await get_keys(ctx, req)


async def list_events(ctx: Context, req: Request, key: str = "events") -> Response:
    """Newest first; filters messageId(s), state, url, scheduleId, label; offset cursor."""
    params = req.params()
    try:
        count = min(int(params.get("count", ["1000"])[0] or 1000), 1000)
        offset = int(params.get("cursor", ["0"])[0] or 0)
    except ValueError:
        return error(400, "count and cursor must be integers")
    wanted_ids = set(params.get("messageIds", []) + params.get("messageId", []))
    filters = {
        name: params[name][0]
        for name in ("state", "url", "scheduleId", "label")
        if params.get(name, [""])[0]
    }
    events = [
        e
        for e in await ctx.store.events(10_000)
        if (not wanted_ids or e["messageId"] in wanted_ids)
        and all(str(e.get(k, "")) == v for k, v in filters.items())
    ]
    page = events[offset : offset + count]
    out: dict[str, Any] = {key: page}
    if offset + count < len(events):
        out["cursor"] = str(offset + count)
    return json_response(out)


async def list_logs(ctx: Context, req: Request) -> Response:
    return await list_events(ctx, req, key="logs")
