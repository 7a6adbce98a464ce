"""Redis persistence: every piece of message, DLQ and schedule state lives here.

Layout (prefix `qs:`)::

    qs:m:<id>        hash   spec (JSON), body (raw bytes), retried
    qs:due           zset   message id -> due time (ms)
    qs:inflight      zset   message id -> lease expiry (ms) while an attempt runs
    qs:dedup:<key>   string message id, PX 10 minutes
    qs:dlq:<dlqId>   hash   the message hash renamed, plus dlq_id, dlq_at, response_*
    qs:dlqidx        zset   dlq id -> time it died
    qs:s:<id>        hash   a schedule (see schedules.py)
    qs:sdue          zset   active schedule id -> next fire time (ms)
    qs:sall          zset   schedule id -> creation time
    qs:events        list   newest-first JSON log events, capped
    qs:group:<name>  string a URL group as JSON (name, endpoints, createdAt, updatedAt)
    qs:groups        set    URL group names
    qs:fc:...        flow-control state per key (see lua.py `_FLOW`)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError
from redis.typing import EncodableT, FieldT

from emulators.qstash import lua
from emulators.qstash.batching import ScriptBatcher
from emulators.qstash.models import DEDUP_WINDOW_MS, ClaimedMessage, MessageSpec, NewMessage
from emulators.qstash.stats import Stats

P = "qs:"
MSG = P + "m:"
DUE = P + "due"
INFLIGHT = P + "inflight"
DEDUP = P + "dedup:"
DLQ = P + "dlq:"
DLQ_INDEX = P + "dlqidx"
SCHEDULE = P + "s:"
SCHEDULE_DUE = P + "sdue"
SCHEDULE_ALL = P + "sall"
EVENTS = P + "events"
GROUP = P + "group:"
GROUPS = P + "groups"
FLOW = P + "fc:"

MAX_CONNECTIONS = 128
POOL_TIMEOUT_S = 30

T = TypeVar("T")
# The fields of a Redis hash as HSET takes them.
HashFields = Mapping[FieldT, EncodableT]


@dataclass
class Claim:
    messages: list[ClaimedMessage]
    next_due_ms: float | None
    next_schedule_ms: float | None
    next_lease_expiry_ms: float | None


@dataclass
class Ack:
    """The outcome of one attempt, written in one script call."""

    mode: str  # done | retry | dead
    event: dict[str, Any]
    retried: int = 0
    due_ms: int = 0
    dlq_id: str = ""
    now_ms: int = 0
    new_messages: list[NewMessage] = field(default_factory=list)
    dlq_fields: dict[str, str | bytes] = field(default_factory=dict)


class Store:
    """Async access to the emulator's Redis state; one instance per process."""

    def __init__(self, redis_url: str) -> None:
        # Blocking pool: a burst beyond the pool size waits for a connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            redis_url, max_connections=MAX_CONNECTIONS, timeout=POOL_TIMEOUT_S
        )
        self.redis: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        self._sources = {
            "publish": lua.PUBLISH,
            "claim": lua.CLAIM,
            "ack": lua.ACK,
            "cancel": lua.CANCEL,
            "fire": lua.FIRE,
            "dlq_retry": lua.DLQ_RETRY,
            "flow_manage": lua.FLOW_MANAGE,
            "flow_info": lua.FLOW_INFO,
        }
        self._sha: dict[str, str] = {}
        self.stats = Stats()
        self._batcher = ScriptBatcher(self.redis, self._sha, self.load_scripts)

    async def close(self) -> None:
        await self.redis.aclose()

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def load_scripts(self) -> None:
        for name, source in self._sources.items():
            self._sha[name] = await self.redis.script_load(source)

    async def _with_scripts(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run `call`, loading the scripts first / again after a Redis restart flushed them."""
        if not self._sha:
            await self.load_scripts()
        try:
            return await call()
        except NoScriptError:
            await self.load_scripts()
            return await call()

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._with_scripts(
            lambda: self.redis.evalsha(self._sha[name], len(keys), *keys, *args)
        )

    # --- messages ------------------------------------------------------------------------

    async def publish(self, messages: list[NewMessage]) -> list[str | None]:
        """Store messages (group-committed); per message the id it duplicates, or None."""
        results = await asyncio.gather(*(self._publish_one(m) for m in messages))
        duplicates = sum(1 for r in results if r is not None)
        self.stats.published += len(results) - duplicates
        self.stats.deduplicated += duplicates
        return [r.decode() if r is not None else None for r in results]

    async def _publish_one(self, m: NewMessage) -> bytes | None:
        dedup = DEDUP + m.dedup_key if m.dedup_key else ""
        flow = m.spec.get("flow")
        args = [
            *(MSG, m.id, m.due_ms, DEDUP_WINDOW_MS, _dumps(m.spec), m.body, _event(m, "CREATED")),
            flow["key"] if flow else "",  # the key, so the script need not decode the spec
        ]
        duplicate_of: bytes | None = await self._batcher.call(
            "publish", [DUE, EVENTS, dedup, FLOW], args
        )
        return duplicate_of

    async def claim(self, now_ms: int, limit: int, lease_until_ms: int) -> Claim:
        raw = await self._script(
            "claim", [DUE, INFLIGHT, SCHEDULE_DUE, FLOW], [now_ms, limit, lease_until_ms, MSG]
        )
        flat = raw[0]
        messages = [
            ClaimedMessage(
                id=flat[i].decode(),
                spec=json.loads(flat[i + 1]),
                body=flat[i + 2] or b"",
                retried=int(flat[i + 3] or 0),
            )
            for i in range(0, len(flat), 4)
        ]
        return Claim(messages, _score(raw[1]), _score(raw[2]), _score(raw[3]))

    async def renew(self, ids: list[str], lease_until_ms: int) -> None:
        """Extend the leases of attempts still running in this process."""
        if ids:
            await self.redis.zadd(INFLIGHT, dict.fromkeys(ids, lease_until_ms), xx=True)

    async def ack(self, message_id: str, ack: Ack) -> bool:
        args: list[Any] = [
            message_id,
            ack.mode,
            json.dumps(ack.event),
            ack.retried,
            ack.due_ms,
            ack.dlq_id,
            ack.now_ms,
            MSG,
            len(ack.new_messages),
        ]
        for m in ack.new_messages:
            args += [m.id, m.due_ms, _dumps(m.spec), m.body, _event(m, "CREATED")]
        for key, value in ack.dlq_fields.items():
            args += [key, value]
        keys = [MSG + message_id, INFLIGHT, DUE, EVENTS, DLQ + ack.dlq_id, DLQ_INDEX, FLOW]
        acked = bool(await self._batcher.call("ack", keys, args))
        if acked:
            self.stats.callbacks += len(ack.new_messages)
        return acked

    async def pending(self) -> int:
        """Messages waiting for an attempt (flow control's waiters too) or in one (schedules
        not counted)."""
        flow_keys = [_text(k) for k in await self.redis.smembers(FLOW + "keys")]
        pipe = self.redis.pipeline(transaction=False)
        pipe.zcard(DUE)
        pipe.zcard(INFLIGHT)
        for key in flow_keys:
            pipe.zcard(FLOW + "w:" + key)
        counts = await pipe.execute()
        return sum(int(c) for c in counts)

    async def get_message(self, message_id: str) -> tuple[MessageSpec, bytes, int] | None:
        spec, body, retried = await self.redis.hmget(MSG + message_id, "spec", "body", "retried")
        if spec is None:
            return None
        return json.loads(spec), _bytes(body), int(retried or 0)

    async def cancel(self, ids: list[str] | None) -> list[tuple[str, MessageSpec]]:
        """Cancel the given messages (None = all pending); returns the ones cancelled."""
        args = [MSG, "1" if ids is None else "0", *(ids or [])]
        flat = await self._script("cancel", [DUE, INFLIGHT, FLOW], args)
        return [(flat[i].decode(), json.loads(flat[i + 1])) for i in range(0, len(flat), 2)]

    # --- flow-control management ---------------------------------------------------------

    async def flow_manage(self, key: str, op: str, now_ms: int, args: list[str]) -> str | None:
        """Pause, resume, pin, unpin or reset a key in one script; the refusal text, if any."""
        keys = [DUE, INFLIGHT, FLOW]
        text = _text(await self._script("flow_manage", keys, [key, op, now_ms, MSG, *args]))
        return None if text == "ok" else text

    async def flow_info(self, key: str | None, now_ms: int) -> list[tuple[str, list[int]]]:
        """Per key (one, or every key seen when None) its name and the FLOW_INFO numbers."""
        rows = await self._script("flow_info", [DUE, INFLIGHT, FLOW], [now_ms, MSG, key or ""])
        return [(_text(row[0]), [int(v) for v in row[1:]]) for row in rows]

    # --- dead letter queue ---------------------------------------------------------------

    async def dlq_ids(self) -> list[str]:
        return [_text(raw) for raw in await self.redis.zrange(DLQ_INDEX, 0, -1)]

    async def dlq_entries(self, dlq_ids: list[str]) -> list[dict[str, bytes] | None]:
        pipe = self.redis.pipeline(transaction=False)
        for dlq_id in dlq_ids:
            pipe.hgetall(DLQ + dlq_id)
        rows = await pipe.execute()
        return [{k.decode(): v for k, v in row.items()} if row else None for row in rows]

    async def dlq_delete(self, dlq_ids: list[str]) -> int:
        if not dlq_ids:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*(DLQ + d for d in dlq_ids))
        pipe.zrem(DLQ_INDEX, *dlq_ids)
        deleted, _ = await pipe.execute()
        return int(deleted)

    async def dlq_retry(self, dlq_id: str, message: NewMessage) -> bool:
        args = [
            dlq_id,
            MSG,
            message.id,
            message.due_ms,
            _dumps(message.spec),
            message.body,
            _event(message, "CREATED"),
        ]
        keys = [DLQ + dlq_id, DLQ_INDEX, DUE, EVENTS]
        retried = bool(await self._script("dlq_retry", keys, args))
        self.stats.published += retried
        return retried

    # --- schedules -----------------------------------------------------------------------

    async def put_schedule(
        self,
        schedule_id: str,
        fields: HashFields,
        next_ms: int | None,
        created_ms: int,
    ) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(SCHEDULE + schedule_id)
        pipe.hset(SCHEDULE + schedule_id, mapping=fields)
        pipe.zadd(SCHEDULE_ALL, {schedule_id: created_ms}, nx=True)
        if next_ms is None:
            pipe.zrem(SCHEDULE_DUE, schedule_id)
        else:
            pipe.zadd(SCHEDULE_DUE, {schedule_id: next_ms})
        await pipe.execute()

    async def get_schedule(self, schedule_id: str) -> dict[str, bytes] | None:
        row = await self.redis.hgetall(SCHEDULE + schedule_id)
        return {_text(k): _bytes(v) for k, v in row.items()} if row else None

    async def schedule_ids(self) -> list[str]:
        return [_text(raw) for raw in await self.redis.zrange(SCHEDULE_ALL, 0, -1)]

    async def due_schedules(self, now_ms: int) -> list[tuple[str, float]]:
        rows = await self.redis.zrangebyscore(SCHEDULE_DUE, "-inf", now_ms, withscores=True)
        return [_scored(row) for row in rows]

    async def set_schedule_state(self, schedule_id: str, paused: bool, next_ms: int | None) -> bool:
        if not await self.redis.exists(SCHEDULE + schedule_id):
            await self.redis.zrem(SCHEDULE_DUE, schedule_id)
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            SCHEDULE + schedule_id,
            mapping={"paused": "1" if paused else "0", "next": "" if next_ms is None else next_ms},
        )
        if next_ms is None:
            pipe.zrem(SCHEDULE_DUE, schedule_id)
        else:
            pipe.zadd(SCHEDULE_DUE, {schedule_id: next_ms})
        await pipe.execute()
        return True

    async def delete_schedule(self, schedule_id: str) -> bool:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(SCHEDULE + schedule_id)
        pipe.zrem(SCHEDULE_DUE, schedule_id)
        pipe.zrem(SCHEDULE_ALL, schedule_id)
        deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def fire_schedule(
        self,
        schedule_id: str,
        expected_ms: float,
        next_ms: int | None,
        now_ms: int,
        message: NewMessage,
    ) -> bool:
        keys = [SCHEDULE_DUE, SCHEDULE + schedule_id, DUE, EVENTS]
        args = [
            schedule_id,
            expected_ms,
            "" if next_ms is None else next_ms,
            now_ms,
            MSG,
            message.id,
            message.due_ms,
            _dumps(message.spec),
            message.body,
            _event(message, "CREATED"),
        ]
        fired = bool(await self._script("fire", keys, args))
        self.stats.schedule_fires += fired
        return fired

    # --- URL groups ----------------------------------------------------------------------

    async def get_group(self, name: str) -> dict[str, Any] | None:
        raw = await self.redis.get(GROUP + name)
        return json.loads(raw) if raw else None

    async def put_group(self, group: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(GROUP + group["name"], json.dumps(group))
        pipe.sadd(GROUPS, group["name"])
        await pipe.execute()

    async def delete_group(self, name: str) -> bool:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(GROUP + name)
        pipe.srem(GROUPS, name)
        deleted, _ = await pipe.execute()
        return bool(deleted)

    async def group_names(self) -> list[str]:
        return sorted(_text(raw) for raw in await self.redis.smembers(GROUPS))

    # --- events --------------------------------------------------------------------------

    async def events(self, limit: int) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in await self.redis.lrange(EVENTS, 0, limit - 1)]

    async def add_events(self, events: list[dict[str, Any]]) -> None:
        if events:
            pipe = self.redis.pipeline(transaction=False)
            pipe.lpush(EVENTS, *(json.dumps(e) for e in events))
            pipe.ltrim(EVENTS, 0, lua.EVENTS_CAP - 1)
            await pipe.execute()


def _dumps(spec: MessageSpec) -> str:
    return json.dumps(spec, separators=(",", ":"))


def _event(message: NewMessage, state: str) -> str:
    return json.dumps(
        {
            "time": message.spec.get("created_at", 0),
            "messageId": message.id,
            "state": state,
            "url": message.spec.get("url", ""),
        }
    )


def _score(raw: bytes | None) -> float | None:
    return float(raw) if raw is not None else None


# redis-py types every reply as `bytes | str` (zset ranges also as scored pairs), whatever the
# client's `decode_responses`; this client never decodes, so the replies are bytes.
def _text(raw: object) -> str:
    if isinstance(raw, bytes):
        return raw.decode()
    if isinstance(raw, str):
        return raw
    raise TypeError(f"expected a Redis bulk string, got {type(raw).__name__}")


def _bytes(raw: bytes | str | None) -> bytes:
    if isinstance(raw, str):
        return raw.encode()
    return raw or b""


def _scored(row: object) -> tuple[str, float]:
    """One `(member, score)` pair of a `withscores=True` range."""
    if not isinstance(row, tuple | list) or len(row) != 2:
        raise TypeError(f"expected a (member, score) pair, got {row!r}")
    member, score = row
    return _text(member), float(score)
