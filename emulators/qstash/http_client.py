"""A lean keep-alive HTTP/1.1 client for deliveries.

Measured against httpx 0.28 (same machine, same destination): httpcore's pool walks every
connection and asks each socket for its peer address on every request and response, and
the client layer builds URL/Request/Response models; together ~0.4-0.6 ms of CPU per
delivery, most of the emulator's CPU under load. This client keeps idle connections per
origin in a stack and parses responses with `httptools` (uvicorn's C parser): ~0.1 ms.
Time limits are the caller's (`asyncio.timeout` around the attempt); redirects are not
followed (a 3xx is a failed attempt).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import cast
from urllib.parse import quote, urlsplit

import httptools

# Keep %-escapes and the characters URLs carry literally; encode spaces and non-ASCII.
_SAFE = "/%:@!$&'()*+,;=-._~?"

_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})

IDLE_EXPIRY_S = 4.0  # below uvicorn's 5 s keep-alive, so we rarely reuse a closing socket
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


class HttpError(Exception):
    """No usable HTTP response: connect failure, closed connection, unparsable answer."""


class _Connection(asyncio.Protocol):
    """One TCP connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._done: asyncio.Future[None] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.received_any = False
        self._until_close = False
        self._reusable = False

    # --- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._finish(HttpError(f"invalid HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._until_close and self.status:
            self._finish(None)  # a body delimited by the connection closing
        else:
            self._finish(HttpError("server closed the connection"))

    # --- httptools callbacks -------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        names = {name.lower() for name, _ in self.headers}
        self._until_close = (
            b"content-length" not in names
            and b"transfer-encoding" not in names
            and self.status not in (204, 304)
            and self.status >= 200
        )

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self._until_close = False
        self._reusable = self._parser.should_keep_alive()  # only valid inside the callback
        self._finish(None)

    # --- use -----------------------------------------------------------------------------

    def _finish(self, error: Exception | None) -> None:
        if self._done is not None and not self._done.done():
            if error is None:
                self._done.set_result(None)
            else:
                self._done.set_exception(error)

    async def exchange(self, data: bytes) -> None:
        """Send one request and wait for its complete response (status, headers, body)."""
        assert self.transport is not None
        self._reset()
        self._done = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        await self._done

    @property
    def keep_alive(self) -> bool:
        return not self.closed and self._reusable

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class HttpClient:
    """Keep-alive HTTP/1.1 client: idle connections per origin, at most `max_idle` each."""

    def __init__(self, max_idle: int = 128) -> None:
        self.max_idle = max_idle
        self._idle: dict[Origin, list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None

    async def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request; returns status, response headers and body. Raises `HttpError`."""
        origin, data = _serialize(method, url, headers, body)
        conn, reused = await self._checkout(origin)
        try:
            try:
                await conn.exchange(data)
            except HttpError:
                if not (reused and not conn.received_any):
                    raise
                # a stale keep-alive socket the server closed: once more on a fresh one
                conn.close()
                conn = await self._connect(origin)
                await conn.exchange(data)
        except BaseException:
            conn.close()
            raise
        result = (
            conn.status,
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in conn.headers],
            b"".join(conn.body),
        )
        self._checkin(origin, conn)
        return result

    async def _checkout(self, origin: Origin) -> tuple[_Connection, bool]:
        stack = self._idle.get(origin)
        now = time.monotonic()
        while stack:
            conn = stack.pop()
            if not conn.closed and now - conn.idle_since < IDLE_EXPIRY_S:
                return conn, True
            conn.close()
        return await self._connect(origin), False

    async def _connect(self, origin: Origin) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(_Connection, host, port, ssl=context)
        except OSError as exc:
            raise HttpError(f"connect to {host}:{port} failed: {exc}") from exc
        return conn

    def _checkin(self, origin: Origin, conn: _Connection) -> None:
        stack = self._idle.setdefault(origin, [])
        if not conn.keep_alive or len(stack) >= self.max_idle:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        stack.append(conn)

    async def aclose(self) -> None:
        for stack in self._idle.values():
            for conn in stack:
                conn.close()
        self._idle.clear()


def _serialize(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[Origin, bytes]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise HttpError(f"unsupported URL {url!r}")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise HttpError(f"bad port in {url!r}") from exc
    host = parts.hostname
    target = quote(parts.path or "/", safe=_SAFE) + (
        "?" + quote(parts.query, safe=_SAFE) if parts.query else ""
    )
    host_header = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if ":" in host:  # IPv6 literal
        host_header = f"[{host}]" if port == DEFAULT_PORTS[scheme] else f"[{host}]:{port}"
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
    for name, value in headers.items():
        if name.lower() in _OWN_HEADERS:
            continue
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise HttpError(f"line break in header {name!r}")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    try:
        data = head.encode("latin-1") + body
    except UnicodeEncodeError:
        data = head.encode("utf-8") + body
    return (scheme, host, port), data
