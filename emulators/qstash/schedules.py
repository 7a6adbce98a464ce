"""Cron schedules: stored in Redis, each fire publishes one message with `Upstash-Schedule-Id`.

Cron expressions are read by `croniter`: the standard 5 fields, or 6 fields where the
6th is *seconds* (`* * * * * */5` = every 5 seconds), optionally prefixed with
`CRON_TZ=Area/City `. Cron times are real time: the time scale does not apply to them
(it does apply to each fired message's `Upstash-Delay` and retries). After downtime a
schedule fires once for everything it missed, then resumes from the current time.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from emulators.qstash.delivery import new_message_id
from emulators.qstash.models import NewMessage, now_ms
from emulators.qstash.publish import BadRequest, is_url, parse_publish
from emulators.qstash.store import HashFields, Store
from emulators.qstash.views import put_body, put_fields

log = logging.getLogger("qstash.schedules")


def next_fire_ms(cron: str, after_ms: int) -> int:
    """The first fire time strictly after `after_ms` (unix ms)."""
    expression, tz = _split_tz(cron)
    start = datetime.fromtimestamp(after_ms / 1000, tz)
    return int(croniter(expression, start).get_next(float) * 1000)


def validate_cron(cron: str) -> None:
    try:
        expression, _ = _split_tz(cron)
    except ZoneInfoNotFoundError as exc:
        raise BadRequest(f"unknown CRON_TZ in {cron!r}") from exc
    if len(expression.split()) not in (5, 6) or not croniter.is_valid(expression):
        raise BadRequest(f"invalid cron expression {cron!r}")


def _split_tz(cron: str) -> tuple[str, ZoneInfo | None]:
    cron = cron.strip()
    if cron.startswith(("CRON_TZ=", "TZ=")):
        tz_part, _, rest = cron.partition(" ")
        return rest.strip(), ZoneInfo(tz_part.split("=", 1)[1])
    return cron, None


class Schedules:
    """Create, inspect, pause and fire schedules."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(
        self, destination: str, headers: dict[str, str], body: bytes, caller_ip: str | None
    ) -> str:
        if not is_url(destination):
            raise BadRequest("schedules need a URL destination (URL groups are not supported)")
        cron = headers.get("upstash-cron", "")
        validate_cron(cron)
        now = now_ms()
        parse_publish(headers, destination, body, now)  # validates headers
        schedule_id = headers.get("upstash-schedule-id") or "scd_" + uuid.uuid4().hex
        kept = {k: v for k, v in headers.items() if k.startswith("upstash-") or k == "content-type"}
        existing = await self.store.get_schedule(schedule_id)
        created = int(existing["created"]) if existing else now
        next_ms = next_fire_ms(cron, now)
        fields: HashFields = {
            "id": schedule_id,
            "destination": destination,
            "cron": cron,
            "headers": json.dumps(kept),
            "body": body,
            "created": created,
            "paused": "0",
            "next": next_ms,
            "last": existing.get("last", b"") if existing else "",
            "caller_ip": caller_ip or "",
        }
        await self.store.put_schedule(schedule_id, fields, next_ms, created)
        return schedule_id

    async def get(self, schedule_id: str) -> dict[str, Any] | None:
        row = await self.store.get_schedule(schedule_id)
        return self._json(row) if row else None

    async def list(self) -> list[dict[str, Any]]:
        out = []
        for schedule_id in await self.store.schedule_ids():
            row = await self.store.get_schedule(schedule_id)
            if row:
                out.append(self._json(row))
        return out

    async def delete(self, schedule_id: str) -> bool:
        return await self.store.delete_schedule(schedule_id)

    async def pause(self, schedule_id: str) -> bool:
        return await self.store.set_schedule_state(schedule_id, True, None)

    async def resume(self, schedule_id: str) -> bool:
        row = await self.store.get_schedule(schedule_id)
        if row is None:
            return False
        next_ms = next_fire_ms(row["cron"].decode(), now_ms())
        return await self.store.set_schedule_state(schedule_id, False, next_ms)

    async def fire_due(self, now: int) -> int:
        """Publish one message for every schedule whose fire time has come."""
        fired = 0
        for schedule_id, expected in await self.store.due_schedules(now):
            row = await self.store.get_schedule(schedule_id)
            if row is None or row.get("paused") == b"1":
                await self.store.set_schedule_state(schedule_id, True, None)  # stop waking
                continue
            try:
                message = self._message(row, now)
                next_ms = next_fire_ms(row["cron"].decode(), now)
            except Exception:  # a schedule that cannot fire must not spin the loop
                log.exception("schedule %s cannot fire; pausing it", schedule_id)
                await self.store.set_schedule_state(schedule_id, True, None)
                continue
            if await self.store.fire_schedule(schedule_id, expected, next_ms, now, message):
                fired += 1
        return fired

    def _message(self, row: dict[str, bytes], now: int) -> NewMessage:
        headers = json.loads(row["headers"])
        request = parse_publish(
            headers,
            row["destination"].decode(),
            row.get("body", b""),
            now,
            row.get("caller_ip", b"").decode() or None,
        )
        request.spec["schedule_id"] = row["id"].decode()
        if "upstash-queue-name" in headers:
            request.spec["queue_name"] = headers["upstash-queue-name"]
        return NewMessage(new_message_id(), request.spec, row.get("body", b""), request.due_ms)

    def _json(self, row: dict[str, bytes]) -> dict[str, Any]:
        headers = json.loads(row["headers"])
        destination = row["destination"].decode()
        body = row.get("body", b"")
        spec = parse_publish(headers, destination, body, 0).spec
        out: dict[str, Any] = {
            "scheduleId": row["id"].decode(),
            "destination": destination,
            "cron": row["cron"].decode(),
            "createdAt": int(row["created"]),
            "method": spec["method"],
            "retries": spec["retries"],
            "header": {k: [v] for k, v in spec["headers"].items()},
            "isPaused": row.get("paused") == b"1",
        }
        put_body(out, "body", body)
        put_fields(
            out,
            spec,
            (
                ("callback", "callback"),
                ("failure_callback", "failureCallback"),
                ("retry_delay", "retryDelayExpression"),
                ("label", "label"),
            ),
        )
        if "timeout_s" in spec:
            out["timeout"] = int(spec["timeout_s"])
        if "upstash-delay" in headers:
            out["delay"] = spec["not_before"] // 1000  # parsed with now=0
        if "upstash-queue-name" in headers:
            out["queueName"] = headers["upstash-queue-name"]
        if row.get("caller_ip"):
            out["callerIP"] = row["caller_ip"].decode()
        for field, name in (("last", "lastScheduleTime"), ("next", "nextScheduleTime")):
            if row.get(field):
                out[name] = int(row[field])
        return out
