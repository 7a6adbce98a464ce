"""`create_function_app(*routers)`: the FastAPI app every function (and the local host) serves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from shared.config import get_settings
from shared.web import bootstrap, logs
from shared.web.errors import register_error_handlers
from shared.web.faults import SimulatedFaultMiddleware, document_fault_header
from shared.web.health import dependency_health
from shared.web.middleware import (
    BodySizeLimitMiddleware,
    HeaderSizeLimitMiddleware,
    RequestContextMiddleware,
)

health_router = APIRouter(tags=["health"])


@health_router.get("/healthz", summary="Dependency health")
async def healthz() -> JSONResponse:
    """200 when Mongo, Redis REST and QStash answer; 503 naming what is down."""
    dependencies = await dependency_health(bootstrap.clients())
    healthy = all(state == "ok" for state in dependencies.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", "dependencies": dependencies},
        status_code=200 if healthy else 503,
    )


def create_function_app(
    *routers: APIRouter, title: str = "paygate", document_public_api: bool = False
) -> FastAPI:
    """The app of one function. With `document_public_api`, its OpenAPI document describes
    every public route, served here or not (the function serving `/openapi.json` on Lambda)."""
    settings = get_settings()
    logs.configure(settings.log_level)
    app = FastAPI(
        title=title,
        version="1.0.0",
        description="Payment gateway simulator: payments, retries and signed webhooks.",
    )
    for router in (*routers, health_router):
        app.include_router(router)
    if document_public_api:
        _document_public_api(app)
    register_error_handlers(app)
    app.add_middleware(SimulatedFaultMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeaderSizeLimitMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Paygate-Fault"],
        expose_headers=["Idempotent-Replayed", "Retry-After", "X-Request-Id"],
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware)
    return app


def _document_public_api(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # Imported here: only a request for the document needs the other functions' routers.
            from shared.web.routes.public import PUBLIC

            # The public routers (this app's own among them) and /healthz: nothing twice.
            routes = [route for router in (health_router, *PUBLIC) for route in router.routes]
            document = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=routes
            )
            document_fault_header(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
