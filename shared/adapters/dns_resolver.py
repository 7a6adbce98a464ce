"""Resolving a host name to its addresses (the system resolver, off the event loop)."""

from __future__ import annotations

import asyncio
import socket

DEFAULT_TIMEOUT_S = 3.0


class DnsResolver:
    """`HostResolver` on `getaddrinfo`: every A and AAAA address, nothing on failure."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self.timeout_s
            )
        except (OSError, UnicodeError, TimeoutError):
            return []
        return sorted({str(info[4][0]) for info in infos})
