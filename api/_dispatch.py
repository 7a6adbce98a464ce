"""`MethodDispatch`: one Vercel function for a path that two lifecycle apps share.

Vercel rewrites match paths, not methods, and `/v1/payments` is served by two functions on
AWS (`POST` → create_payment, `GET` → payments_api). This ASGI app hands each request to the
app that owns its method, so the same apps answer the same routes on both platforms.
The leading underscore keeps Vercel from turning this file into a function of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class MethodDispatch:
    def __init__(self, by_method: dict[str, ASGIApp], default: ASGIApp) -> None:
        self.by_method = {method.upper(): app for method, app in by_method.items()}
        self.default = default

    def app_for(self, method: str) -> ASGIApp:
        return self.by_method.get(method.upper(), self.default)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        target = self.app_for(scope["method"]) if scope["type"] == "http" else self.default
        await target(scope, receive, send)
