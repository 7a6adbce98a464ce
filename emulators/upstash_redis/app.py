"""The ASGI app: auth, routing of `/`, `/pipeline`, `/multi-exec` and path-style commands.

Every answer is JSON (the SDK never looks at the status code, it calls `r.json()`), and
carries an `Upstash-Sync-Token` from a counter that only grows.
"""

from __future__ import annotations

import hmac
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from emulators.upstash_redis.commands import (
    CommandError,
    from_path,
    normalise,
    normalise_many,
    parse_body,
)
from emulators.upstash_redis.encoding import ErrorReply, Reply, encode_reply
from emulators.upstash_redis.executor import (
    DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    RedisExecutor,
    RedisUnavailable,
)
from emulators.upstash_redis.scripts import ScriptShim

ALLOWED_METHODS = frozenset({"HEAD", "GET", "POST", "PUT"})
UNAUTHORIZED = "WRONGPASS invalid or missing auth token"
SYNC_TOKEN_HEADER = "Upstash-Sync-Token"


def create_app(
    redis_url: str,
    token: str,
    *,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
) -> Starlette:
    """The Upstash REST bridge for the Redis at `redis_url`, guarded by `token`."""
    executor = RedisExecutor(
        redis_url, max_connections=max_connections, command_timeout=command_timeout
    )
    bridge = RestBridge(executor, token)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await executor.aclose()

    return Starlette(
        routes=[
            Route("/healthz", bridge.healthz, methods=["GET", "HEAD"]),
            Route("/_emulator/stats", bridge.stats, methods=["GET"]),
            Route("/{path:path}", _AnyMethod(bridge.handle)),
        ],
        lifespan=lifespan,
    )


class RestBridge:
    """Request handlers; one instance per app, sharing the executor's connection pool."""

    def __init__(self, executor: RedisExecutor, token: str) -> None:
        self._executor = executor
        self._token = token.encode()
        self._sync_tokens = itertools.count(1)
        self._scripts = ScriptShim()
        # What Upstash would bill (every command, each one of a pipeline or transaction)
        # and the HTTP requests that carried them; in-process, from 0 at start.
        self.counts = {"commands": 0, "requests": 0}

    async def healthz(self, request: Request) -> JSONResponse:
        if await self._executor.ping():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable", "error": "redis does not answer"}, 503)

    async def stats(self, request: Request) -> JSONResponse:
        """Not an Upstash API: the billing counters, for benchmarks (token required)."""
        if not self._authorised(request):
            return self._respond({"error": UNAUTHORIZED}, 401)
        return JSONResponse(dict(self.counts))

    async def handle(self, request: Request) -> JSONResponse:
        if request.method not in ALLOWED_METHODS:
            return self._respond({"error": f"ERR method {request.method} not allowed"}, 405)
        if not self._authorised(request):
            return self._respond({"error": UNAUTHORIZED}, 401)
        base64 = request.headers.get("upstash-encoding", "").lower() == "base64"
        segments = _segments(request)
        body = await request.body()
        try:
            if segments in (["pipeline"], ["multi-exec"]):
                commands = parse_body(body)
                self._count(len(commands) if isinstance(commands, list) else 1)
                result = await self._batch(commands, atomic=segments == ["multi-exec"])
                if isinstance(result, ErrorReply):
                    return self._respond({"error": str(result)}, 400)
                return self._respond([encode_reply(reply, base64) for reply in result])
            if segments:
                command = from_path(segments, request.query_params.multi_items(), body)
            else:
                command = normalise(parse_body(body))
            self._count(1)
            command, override = self._scripts.rewrite(command)
            reply = _override(await self._executor.run(command), override)
        except CommandError as exc:
            return self._respond({"error": str(exc)}, 400)
        except RedisUnavailable as exc:
            return self._respond({"error": str(exc)}, 503)
        status = 400 if isinstance(reply, ErrorReply) else 200
        return self._respond(encode_reply(reply, base64), status)

    async def _batch(self, body: Any, atomic: bool) -> list[Reply] | ErrorReply:
        rewritten = [self._scripts.rewrite(command) for command in normalise_many(body)]
        commands = [command for command, _ in rewritten]
        if atomic:
            result = await self._executor.transaction(commands)
            if isinstance(result, ErrorReply):
                return result
        else:
            result = await self._executor.pipeline(commands)
        return [
            _override(reply, override)
            for reply, (_, override) in zip(result, rewritten, strict=True)
        ]

    def _count(self, commands: int) -> None:
        self.counts["requests"] += 1
        self.counts["commands"] += commands

    def _respond(self, content: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(content, status, {SYNC_TOKEN_HEADER: str(next(self._sync_tokens))})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        given = header[7:] if header[:7].lower() == "bearer " else ""
        given = given or request.query_params.get("_token", "")
        return hmac.compare_digest(given.encode(), self._token)


class _AnyMethod:
    """An ASGI endpoint, so Starlette routes every method to it (the handler answers 405)."""

    def __init__(self, handler: Callable[[Request], Awaitable[JSONResponse]]) -> None:
        self._app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _override(reply: Reply, override: bytes | None) -> Reply:
    """A successful reply replaced where the script shim knows better (SCRIPT LOAD's SHA)."""
    return reply if override is None or isinstance(reply, ErrorReply) else override


def _segments(request: Request) -> list[str]:
    """Path segments, split before percent-decoding so `%2F` stays inside a key."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.scope["path"]
    return [unquote(segment) for segment in path.split("?", 1)[0].split("/") if segment]
