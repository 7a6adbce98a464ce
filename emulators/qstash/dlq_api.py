"""Handlers: the dead letter queue (list, get, delete, retry) and schedules."""

from __future__ import annotations

import json
from typing import Any

from emulators.qstash.context import Context
from emulators.qstash.delivery import new_message_id
from emulators.qstash.messages_api import destination_of
from emulators.qstash.models import MessageSpec, NewMessage, now_ms
from emulators.qstash.routing import Request, Response, error, json_response
from emulators.qstash.views import dlq_json

MAX_DLQ_PAGE = 100
_DLQ_FILTERS = {
    "messageId": "messageId",
    "url": "url",
    "topicName": "topicName",
    "queueName": "queueName",
    "scheduleId": "scheduleId",
    "callerIp": "callerIP",
    "label": "label",
}


async def list_dlq(ctx: Context, req: Request) -> Response:
    """Oldest first; `cursor` is an offset into the filtered list."""
    params = req.params()
    try:
        count = min(int(params.get("count", [str(MAX_DLQ_PAGE)])[0] or MAX_DLQ_PAGE), MAX_DLQ_PAGE)
        offset = int(params.get("cursor", ["0"])[0] or 0)
        status = int(params["responseStatus"][0]) if params.get("responseStatus") else None
        from_ms = int(params["fromDate"][0]) if params.get("fromDate") else None
        to_ms = int(params["toDate"][0]) if params.get("toDate") else None
    except ValueError:
        return error(400, "count, cursor, responseStatus, fromDate, toDate must be integers")
    filters = {
        field: params[name][0] for name, field in _DLQ_FILTERS.items() if params.get(name, [""])[0]
    }
    ids = await ctx.store.dlq_ids()
    matching: list[dict[str, Any]] = []
    for row in await ctx.store.dlq_entries(ids):
        if row is None:
            continue
        entry = dlq_json(row)
        died = int(row.get("dlq_at", b"0"))
        if status is not None and entry["responseStatus"] != status:
            continue
        if (from_ms is not None and died < from_ms) or (to_ms is not None and died > to_ms):
            continue
        if all(str(entry.get(k, "")) == v for k, v in filters.items()):
            matching.append(entry)
    out: dict[str, Any] = {"messages": matching[offset : offset + count]}
    if offset + count < len(matching):
        out["cursor"] = str(offset + count)
    return json_response(out)


async def get_dlq(ctx: Context, req: Request, dlq_id: str) -> Response:
    [row] = await ctx.store.dlq_entries([dlq_id])
    if row is None:
        return error(404, "dlq message not found")
    return json_response(dlq_json(row))


async def delete_dlq(ctx: Context, req: Request, dlq_id: str) -> Response:
    if not await ctx.store.dlq_delete([dlq_id]):
        return error(404, "dlq message not found")
    return json_response({"deleted": 1})


async def delete_dlq_many(ctx: Context, req: Request) -> Response:
    ids = req.params().get("dlqIds") or []
    try:
        data = await req.json()
    except ValueError:
        return error(400, "body must be JSON")
    if isinstance(data, dict) and isinstance(data.get("dlqIds"), list):
        ids += [str(i) for i in data["dlqIds"]]
    return json_response({"deleted": await ctx.store.dlq_delete(ids)})


async def retry_dlq(ctx: Context, req: Request, dlq_id: str) -> Response:
    message_id = await _retry_one(ctx, dlq_id)
    if message_id is None:
        return error(404, "dlq message not found")
    return json_response({"messageId": message_id}, 201)


async def retry_dlq_many(ctx: Context, req: Request) -> Response:
    ids = req.params().get("dlqIds") or []
    try:
        data = await req.json()
    except ValueError:
        return error(400, "body must be JSON")
    if isinstance(data, dict) and isinstance(data.get("dlqIds"), list):
        ids += [str(i) for i in data["dlqIds"]]
    responses = []
    for dlq_id in ids:
        message_id = await _retry_one(ctx, dlq_id)
        if message_id is not None:
            responses.append({"messageId": message_id})
    return json_response({"responses": responses})


async def _retry_one(ctx: Context, dlq_id: str) -> str | None:
    """Publish the dead message again (new id, retries from 0) and drop the DLQ entry."""
    [row] = await ctx.store.dlq_entries([dlq_id])
    if row is None:
        return None
    now = now_ms()
    spec: MessageSpec = json.loads(row["spec"])
    spec["created_at"] = now
    spec["not_before"] = now
    message = NewMessage(new_message_id(), spec, row.get("body", b""), now)
    if not await ctx.store.dlq_retry(dlq_id, message):
        return None
    ctx.wake(now)
    return message.id


# --- schedules ---------------------------------------------------------------------------


async def create_schedule(ctx: Context, req: Request, dest: str) -> Response:
    destination = destination_of(dest, req.query)
    body = await req.body()
    schedule_id = await ctx.schedules.create(destination, req.headers, body, req.client_ip)
    return json_response({"scheduleId": schedule_id}, 201)


async def list_schedules(ctx: Context, req: Request) -> Response:
    return json_response(await ctx.schedules.list())


async def get_schedule(ctx: Context, req: Request, schedule_id: str) -> Response:
    found = await ctx.schedules.get(schedule_id)
    return json_response(found) if found else error(404, "schedule not found")


async def delete_schedule(ctx: Context, req: Request, schedule_id: str) -> Response:
    if not await ctx.schedules.delete(schedule_id):
        return error(404, "schedule not found")
    return json_response({"deleted": 1})


async def pause_schedule(ctx: Context, req: Request, schedule_id: str) -> Response:
    if not await ctx.schedules.pause(schedule_id):
        return error(404, "schedule not found")
    return json_response({"paused": True})


async def resume_schedule(ctx: Context, req: Request, schedule_id: str) -> Response:
    if not await ctx.schedules.resume(schedule_id):
        return error(404, "schedule not found")
    ctx.wake(now_ms())
    return json_response({"paused": False})
