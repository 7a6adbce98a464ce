"""The transport under the process's httpx clients (Upstash REST, QStash, webhooks).

httpx's own connection pool re-checks every pooled connection on each request; with tens
of requests in flight in one process (the local functions host under load) that is most of
the HTTP client's CPU. When `httpx-aiohttp` is installed (the `local` extra) the clients
use aiohttp's pool under the same httpx API; otherwise (a Lambda serving one request at a
time) httpx's default transport is kept.
"""

from __future__ import annotations

import httpx

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)


def transport(limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncBaseTransport:
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:
        return httpx.AsyncHTTPTransport(limits=limits)
    return AiohttpTransport(limits=limits, trust_env=False)


def client(**kwargs: object) -> httpx.AsyncClient:
    """An httpx.AsyncClient on `transport()`; keyword arguments as httpx's."""
    limits = kwargs.pop("limits", DEFAULT_LIMITS)
    assert isinstance(limits, httpx.Limits)
    return httpx.AsyncClient(transport=transport(limits), **kwargs)  # type: ignore[arg-type]
