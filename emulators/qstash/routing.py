"""A tiny ASGI request/response layer and router over the *raw* request path.

QStash puts the destination URL literally in the path (`/v2/publish/https://x/y?a=1`), so
routes match `scope["raw_path"]` (no `//` merging, no decoding) and the raw query string is
kept for the destination. A framework router would normalise both away.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Request:
    """The parts of an HTTP request the handlers need."""

    __slots__ = ("_body", "client_ip", "headers", "method", "path", "query", "receive")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.receive = receive
        self.method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        self.path: str = raw_path.decode("latin-1")
        self.query: str = scope.get("query_string", b"").decode("latin-1")
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.headers = headers
        client = scope.get("client")
        self.client_ip: str | None = client[0] if client else None
        self._body: bytes | None = None

    async def body(self) -> bytes:
        if self._body is None:
            chunks = []
            while True:
                message = await self.receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        raw = await self.body()
        return json.loads(raw) if raw.strip() else None

    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        values = self.params().get(name)
        return values[0] if values else None


class Response:
    """A finished response: status, body bytes and content type."""

    __slots__ = ("body", "content_type", "status")

    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        self.status = status
        self.body = body
        self.content_type = content_type

    async def send(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", self.content_type.encode()),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json")


def error(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


Handler = Callable[..., Awaitable[Response]]


class Router:
    """Routes `(method, raw path regex)` to handlers called with the named groups."""

    def __init__(self) -> None:
        self._routes: list[tuple[frozenset[str], re.Pattern[str], Handler]] = []

    def add(self, methods: str, pattern: str, handler: Handler) -> None:
        self._routes.append((frozenset(methods.split()), re.compile(pattern + r"\Z"), handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | Response:
        allowed = False
        for methods, pattern, handler in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            if method in methods:
                return handler, found.groupdict()
            allowed = True
        return error(405, "method not allowed") if allowed else error(404, "not found")
