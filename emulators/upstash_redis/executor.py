"""Running commands on Redis through one shared connection pool, replies kept raw.

redis-py's client would reshape replies (SET -> True, HGETALL -> dict, scores -> floats) and
strip the `ERR ` prefix from errors, so the bridge talks to pooled connections directly with a
parser that keeps RESP2 as it is and marks status replies apart from bulk strings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from redis._parsers import _AsyncRESP2Parser
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import InvalidResponse, RedisError

from emulators.upstash_redis.commands import Command
from emulators.upstash_redis.encoding import ErrorReply, Reply, SimpleString

DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_COMMAND_TIMEOUT = 10.0
CONNECT_TIMEOUT = 2.0
HEALTH_TIMEOUT = 1.0


class RedisUnavailable(Exception):
    """Redis could not be reached or did not answer in time."""


class MarkedRESP2Parser(_AsyncRESP2Parser):
    """RESP2 parser returning `SimpleString` / `ErrorReply` markers instead of raising."""

    async def _read_response(self, disable_decoding: bool = False) -> Any:
        raw = await self._readline()
        kind, rest = raw[:1], raw[1:]
        if kind == b"$":
            return None if rest == b"-1" else await self._read(int(rest))
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return SimpleString(rest)
        if kind == b"*":
            if rest == b"-1":
                return None
            return [await self._read_response() for _ in range(int(rest))]
        if kind == b"-":
            return ErrorReply(rest.decode("utf-8", "replace"))
        raise InvalidResponse(f"Protocol Error: {raw!r}")


class RedisExecutor:
    """Sends commands over pooled connections; a connection left mid-reply is dropped."""

    def __init__(
        self,
        redis_url: str,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
    ) -> None:
        self.command_timeout = command_timeout
        self._pool = BlockingConnectionPool.from_url(
            redis_url,
            max_connections=max_connections,
            timeout=command_timeout,
            parser_class=MarkedRESP2Parser,
            protocol=2,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=None,  # `_exchange` bounds each request with `command_timeout`
        )

    async def run(self, command: Command) -> Reply:
        (reply,) = await self._exchange([command], self.command_timeout)
        return reply

    async def pipeline(self, commands: Sequence[Command]) -> list[Reply]:
        """Commands sent in one write and answered in order; not atomic."""
        if not commands:
            return []
        return await self._exchange(commands, self.command_timeout)

    async def transaction(self, commands: Sequence[Command]) -> list[Reply] | ErrorReply:
        """MULTI/EXEC: per-command errors inline, or one error if Redis rejects the lot."""
        if not commands:
            return []
        replies = await self._exchange([["MULTI"], *commands, ["EXEC"]], self.command_timeout)
        result = replies[-1]
        if isinstance(result, list):
            return result
        queued = [reply for reply in replies[1:-1] if isinstance(reply, ErrorReply)]
        if isinstance(result, ErrorReply):
            return ErrorReply(f"{result.rstrip('.')}: {queued[0]}" if queued else result)
        return ErrorReply("EXECABORT Transaction aborted")

    async def ping(self) -> bool:
        try:
            (reply,) = await self._exchange([["PING"]], HEALTH_TIMEOUT)
        except RedisUnavailable:
            return False
        return reply == b"PONG"

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def _exchange(self, commands: Sequence[Command], limit: float) -> list[Reply]:
        try:
            connection: AbstractConnection = await self._pool.get_connection()  # type: ignore[no-untyped-call]
        except (RedisError, OSError) as exc:
            raise RedisUnavailable(f"ERR redis unavailable: {exc}") from exc
        done = False
        try:
            async with asyncio.timeout(limit):
                await connection.send_packed_command(
                    connection.pack_commands(commands), check_health=False
                )
                replies = [await connection.read_response(disable_decoding=True) for _ in commands]
            done = True
            return replies
        except TimeoutError as exc:
            raise RedisUnavailable(f"ERR command timed out after {limit:g}s") from exc
        except (RedisError, OSError) as exc:
            raise RedisUnavailable(f"ERR redis unavailable: {exc}") from exc
        finally:
            if not done:
                await connection.disconnect(nowait=True)
            await self._pool.release(connection)
