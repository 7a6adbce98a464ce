"""The emulator's delivery HTTP client against real sockets: framing, keep-alive, stale sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from devstack.processes import free_port
from emulators.qstash.http_client import HttpClient, HttpError

Reply = Callable[[int], bytes]  # request number on this server -> raw response


class RawServer:
    """Answers each request with canned bytes; counts connections; can close after answering."""

    def __init__(self, reply: Reply, close_after: bool = False, drop_second: bool = False) -> None:
        self.reply = reply
        self.close_after = close_after
        self.drop_second = drop_second
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = free_port()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                served += 1
                if self.drop_second and served == 2:
                    break  # hang up on a kept-alive socket without answering
                writer.write(self.reply(len(self.requests)))
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., object]]:
    servers: list[asyncio.Server] = []

    async def start(
        reply: Reply, close_after: bool = False, drop_second: bool = False
    ) -> RawServer:
        raw = RawServer(reply, close_after, drop_second)
        servers.append(await asyncio.start_server(raw.handle, "127.0.0.1", raw.port))
        return raw

    yield start
    for server in servers:
        server.close()


def fixed(body: bytes = b"ok", status: bytes = b"200 OK", extra: bytes = b"") -> Reply:
    return lambda _: (
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


async def test_request_bytes_and_keep_alive(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(fixed(b"pong", extra=b"X-A: 1\r\nX-A: 2\r\n"))
    client = HttpClient()
    url = f"http://127.0.0.1:{server.port}/a//b%20c d?x=1&y=%2F"
    for _ in range(3):
        status, headers, body = await client.send("PUT", url, {"X-Hdr": "v"}, b"payload")
        assert (status, body) == (200, b"pong")
        assert [v for k, v in headers if k.lower() == "x-a"] == ["1", "2"]
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"PUT /a//b%20c%20d?x=1&y=%2F HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in first
    assert b"X-Hdr: v\r\n" in first and b"Content-Length: 7\r\n" in first
    assert first.endswith(b"\r\n\r\npayload")
    await client.aclose()


async def test_chunked_and_close_delimited_bodies(serve) -> None:  # type: ignore[no-untyped-def]
    chunked = await serve(
        lambda _: (
            b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
    )
    until_close = await serve(lambda _: b"HTTP/1.1 200 OK\r\n\r\nall of it", close_after=True)
    client = HttpClient()
    status, _, body = await client.send("POST", f"http://127.0.0.1:{chunked.port}/", {}, b"")
    assert (status, body) == (503, b"hello world")
    status, _, body = await client.send("POST", f"http://127.0.0.1:{until_close.port}/", {}, b"")
    assert (status, body) == (200, b"all of it")
    await client.aclose()


async def test_a_socket_closed_by_the_server_is_replaced(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(fixed(), close_after=True)  # says keep-alive, then hangs up
    client = HttpClient()
    url = f"http://127.0.0.1:{server.port}/"
    for _ in range(3):
        assert (await client.send("POST", url, {}, b"x"))[0] == 200
        await asyncio.sleep(0.05)
    assert server.connections == 3 and len(server.requests) == 3  # each request sent once
    await client.aclose()


async def test_a_kept_alive_socket_that_hangs_up_is_retried_once(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(fixed(), drop_second=True)
    client = HttpClient()
    url = f"http://127.0.0.1:{server.port}/"
    assert (await client.send("POST", url, {}, b"1"))[0] == 200
    assert (await client.send("POST", url, {}, b"2"))[0] == 200  # dropped, then resent
    assert server.connections == 2
    assert [r[-1:] for r in server.requests] == [b"1", b"2", b"2"]
    await client.aclose()


async def test_failures_raise_http_error(serve) -> None:  # type: ignore[no-untyped-def]
    client = HttpClient()
    with pytest.raises(HttpError):
        await client.send("POST", f"http://127.0.0.1:{free_port()}/", {}, b"")
    garbage = await serve(lambda _: b"this is not HTTP\r\n\r\n")
    with pytest.raises(HttpError):
        await client.send("POST", f"http://127.0.0.1:{garbage.port}/", {}, b"")
    with pytest.raises(HttpError):
        await client.send("POST", "http://127.0.0.1:1/", {"X": "a\r\nInjected: 1"}, b"")
    with pytest.raises(HttpError):
        await client.send("POST", "ftp://127.0.0.1/", {}, b"")
    await client.aclose()
