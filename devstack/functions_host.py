"""Every paygate function in one local ASGI app: `uvicorn devstack.functions_host:app`.

On AWS each `functions/<name>/app.py` is its own Lambda; locally their routers are found by
discovery and served together by one process, which also serves the built dashboard
(`frontend/dist`, with a single-page-app fallback) and, in dev mode, `/dev/config`.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from shared.config import Settings, get_settings

# httpx imports its command-line client (click, rich, pygments: about 4 MB) whenever those
# are installed, and the dev extras install them for `paygate`'s own CLI. A Lambda has none
# of them; this keeps the local host the same (httpx then defines a stub `main` instead).
# Harmless once httpx is imported (setdefault keeps what is there).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_DIST = PROJECT_ROOT / "frontend" / "dist"

# First path segments the dashboard fallback never answers for.
RESERVED_PREFIXES = frozenset(
    {"v1", "internal", "healthz", "docs", "redoc", "openapi.json", "dev", "assets"}
)

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paygate (local)</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>paygate is running</h1>
<p>The dashboard has not been built. Run <code>make dev</code> (it builds
<code>frontend/dist</code> and starts the stack), or <code>make frontend-build</code>.</p>
<p>The API is here: <a href="/docs">/docs</a>, <a href="/healthz">/healthz</a>.</p>
</body></html>
"""


def discover_routers(package: str = "functions") -> list[APIRouter]:
    """The `routers` of every `<package>.<name>.app` module, in name order."""
    root: ModuleType = importlib.import_module(package)
    routers: list[APIRouter] = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module_name = f"{package}.{info.name}.app"
        if importlib.util.find_spec(module_name) is None:
            continue
        found = getattr(importlib.import_module(module_name), "routers", ())
        routers.extend(router for router in found if isinstance(router, APIRouter))
    return routers


def _receiver_base(webhook_url: str) -> str:
    parts = urlsplit(webhook_url)
    return f"{parts.scheme}://{parts.netloc}"


def add_dev_routes(app: FastAPI, settings: Settings) -> None:
    """`GET /dev/config`: what the dashboard needs to talk to the local stack."""

    @app.get("/dev/config", include_in_schema=False)
    async def dev_config() -> dict[str, str]:
        return {
            "environment": "dev",
            "demo_api_key": settings.demo_api_key,
            "receiver_url": _receiver_base(settings.demo_webhook_url),
        }


def add_dashboard(app: FastAPI, dist: Path) -> None:
    """Serve the built dashboard at `/`; unknown non-API GETs get `index.html`."""
    index = dist / "index.html"
    if not index.is_file():

        @app.get("/", include_in_schema=False)
        async def not_built() -> HTMLResponse:
            return HTMLResponse(NOT_BUILT_PAGE)

        return

    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str) -> FileResponse:
        if path.split("/", 1)[0] in RESERVED_PREFIXES:
            raise HTTPException(status_code=404)
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


def add_mongo_op_counts(app: FastAPI) -> None:
    """`GET /dev/mongo_ops`: the Mongo commands this process sent so far, by name."""
    from devstack.mongo_ops import install

    counter = install()

    @app.get("/dev/mongo_ops", include_in_schema=False)
    async def mongo_ops() -> dict[str, object]:
        return counter.snapshot()


def build_app(
    settings: Settings | None = None, package: str = "functions", dist: Path = DASHBOARD_DIST
) -> FastAPI:
    from shared.web.app import create_function_app

    settings = settings or get_settings()
    app = create_function_app(*discover_routers(package), title="paygate (local)")
    if settings.count_mongo_ops:
        add_mongo_op_counts(app)
    if settings.is_dev:
        add_dev_routes(app, settings)
    add_dashboard(app, dist)
    return app


app = build_app()
